using System.Numerics.Tensors;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// Adam (Kingma &amp; Ba 2015) over one dense parameter vector, with PyTorch's bias correction. The update is
/// element-wise, so it runs over fixed chunks in parallel and is bit-identical whatever the thread count.
/// </summary>
internal sealed class AdamOptimizer
{
    private const int ChunkSize = 8192;
    private readonly float[] _firstMoment;
    private readonly float[] _secondMoment;
    private readonly float[] _scratch;
    private readonly float _learningRate;
    private readonly float _beta1;
    private readonly float _beta2;
    private readonly float _epsilon;
    private readonly ParallelOptions _parallel;
    private int _step;

    public AdamOptimizer(int length, float learningRate, ParallelOptions parallel, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
    {
        _firstMoment = new float[length];
        _secondMoment = new float[length];
        _scratch = new float[length];
        _learningRate = learningRate;
        _beta1 = beta1;
        _beta2 = beta2;
        _epsilon = epsilon;
        _parallel = parallel;
    }

    public int StepCount => _step;

    /// <summary>One descent step: <paramref name="parameters"/> -= lr · m̂ / (√v̂ + ε).</summary>
    public void Step(float[] parameters, float[] gradient)
    {
        if (parameters.Length != _firstMoment.Length || gradient.Length != _firstMoment.Length)
        {
            throw new ArgumentException("Parameter and gradient lengths must match the optimiser's.");
        }
        _step++;
        var stepSize = (float)(_learningRate / (1 - Math.Pow(_beta1, _step)));
        var inverseRootCorrection = (float)(1 / Math.Sqrt(1 - Math.Pow(_beta2, _step)));
        var chunks = (parameters.Length + ChunkSize - 1) / ChunkSize;
        Parallel.For(0, chunks, _parallel, chunk =>
        {
            var start = chunk * ChunkSize;
            var length = Math.Min(ChunkSize, parameters.Length - start);
            var g = gradient.AsSpan(start, length);
            var m = _firstMoment.AsSpan(start, length);
            var v = _secondMoment.AsSpan(start, length);
            var p = parameters.AsSpan(start, length);
            var tmp = _scratch.AsSpan(start, length);
            TensorPrimitives.Multiply(m, _beta1, m);
            TensorPrimitives.MultiplyAdd(g, 1 - _beta1, m, m);
            TensorPrimitives.Multiply(g, g, tmp);
            TensorPrimitives.Multiply(v, _beta2, v);
            TensorPrimitives.MultiplyAdd(tmp, 1 - _beta2, v, v);
            // √v̂ + ε = √v / √(1 − β2^t) + ε
            TensorPrimitives.Sqrt(v, tmp);
            TensorPrimitives.Multiply(tmp, inverseRootCorrection, tmp);
            TensorPrimitives.Add(tmp, _epsilon, tmp);
            TensorPrimitives.Divide(m, tmp, tmp);
            TensorPrimitives.MultiplyAdd(tmp, -stepSize, p, p);
        });
    }
}
