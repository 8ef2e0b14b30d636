using System.Numerics.Tensors;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// One LightGCN mini-batch: forward propagation of the ego embeddings, the BPR + L2 loss of a batch of triples, and
/// its gradient with respect to every ego embedding. Holds the [nodes, d] work buffers so batches allocate nothing.
/// </summary>
internal sealed class LightGcnGradient
{
    private readonly NormalizedAdjacency _adjacency;
    private readonly int _dimension;
    private readonly int _layers;
    private readonly ParallelOptions _parallel;
    private readonly float[] _finalGradient;
    private readonly float[] _scratchA;
    private readonly float[] _scratchB;
    private readonly float[] _slots;
    private readonly int[] _rows;
    private readonly double[] _rankingLoss;
    private readonly double[] _egoSquares;
    private readonly RowGradientScatter _scatter = new();

    public LightGcnGradient(NormalizedAdjacency adjacency, int dimension, int layers, int maxBatch, ParallelOptions parallel)
    {
        _adjacency = adjacency;
        _dimension = dimension;
        _layers = layers;
        _parallel = parallel;
        var length = adjacency.NodeCount * dimension;
        Final = new float[length];
        EgoGradient = new float[length];
        _finalGradient = new float[length];
        _scratchA = new float[length];
        _scratchB = new float[length];
        _slots = new float[3 * maxBatch * dimension];
        _rows = new int[3 * maxBatch];
        _rankingLoss = new double[maxBatch];
        _egoSquares = new double[maxBatch];
    }

    /// <summary>Mean-of-layers embeddings of the last <see cref="Forward"/>, users then items.</summary>
    public float[] Final { get; }

    /// <summary>∂loss/∂E⁰ of the last <see cref="LossAndGradient"/>.</summary>
    public float[] EgoGradient { get; }

    public void Forward(float[] ego) =>
        _adjacency.PropagateMean(ego, Final, _dimension, _layers, _scratchA, _scratchB, _parallel);

    /// <summary>softplus(x_un − x_up) of one triple on the final embeddings of the last <see cref="Forward"/>.</summary>
    public double SampleLoss(int user, int positive, int negative)
    {
        var d = _dimension;
        var itemOffset = _adjacency.UserCount;
        var fu = Final.AsSpan(user * d, d);
        var margin = TensorPrimitives.Dot<float>(fu, Final.AsSpan((itemOffset + negative) * d, d))
            - TensorPrimitives.Dot<float>(fu, Final.AsSpan((itemOffset + positive) * d, d));
        return BprTrainer.Softplus(margin);
    }

    /// <summary>
    /// loss = mean_t softplus(x_tn − x_tp) + decay · Σ_t (‖e⁰_u‖² + ‖e⁰_p‖² + ‖e⁰_n‖²) / 2 / B, with x the dot product
    /// of final embeddings. <see cref="Forward"/> must have been called on <paramref name="ego"/> first.
    /// </summary>
    public double LossAndGradient(float[] ego, ReadOnlySpan<int> users, ReadOnlySpan<int> positives, ReadOnlySpan<int> negatives, float decay)
    {
        var size = users.Length;
        if (size == 0 || positives.Length != size || negatives.Length != size || 3 * size > _rows.Length)
        {
            throw new ArgumentException("The batch must be non-empty, with one positive and one negative per user, and fit the buffers.");
        }
        var d = _dimension;
        var itemOffset = _adjacency.UserCount;
        for (var t = 0; t < size; t++)
        {
            _rows[3 * t] = users[t];
            _rows[3 * t + 1] = itemOffset + positives[t];
            _rows[3 * t + 2] = itemOffset + negatives[t];
        }
        var inverseBatch = 1f / size;
        Parallel.For(0, size, _parallel, t =>
        {
            var fu = Final.AsSpan(_rows[3 * t] * d, d);
            var fp = Final.AsSpan(_rows[3 * t + 1] * d, d);
            var fn = Final.AsSpan(_rows[3 * t + 2] * d, d);
            var margin = TensorPrimitives.Dot<float>(fu, fn) - TensorPrimitives.Dot<float>(fu, fp);
            _rankingLoss[t] = BprTrainer.Softplus(margin);
            // ∂softplus(m)/∂m = σ(m), spread over the batch mean.
            var g = (float)(1.0 / (1.0 + Math.Exp(-margin))) * inverseBatch;
            var gu = _slots.AsSpan(3 * t * d, d);
            TensorPrimitives.Subtract(fn, fp, gu);
            TensorPrimitives.Multiply(gu, g, gu);
            TensorPrimitives.Multiply(fu, -g, _slots.AsSpan((3 * t + 1) * d, d));
            TensorPrimitives.Multiply(fu, g, _slots.AsSpan((3 * t + 2) * d, d));
            _egoSquares[t] = SumOfSquares(ego.AsSpan(_rows[3 * t] * d, d))
                + SumOfSquares(ego.AsSpan(_rows[3 * t + 1] * d, d))
                + SumOfSquares(ego.AsSpan(_rows[3 * t + 2] * d, d));
        });

        Array.Clear(_finalGradient);
        _scatter.Group(_rows.AsSpan(0, 3 * size));
        _scatter.AddInto(_slots, _finalGradient, d, 1f, _parallel);
        _adjacency.PropagateMean(_finalGradient, EgoGradient, d, _layers, _scratchA, _scratchB, _parallel);
        _scatter.AddCountScaledRows(ego, EgoGradient, d, decay * inverseBatch, _parallel);

        var ranking = 0.0;
        var squares = 0.0;
        for (var t = 0; t < size; t++)
        {
            ranking += _rankingLoss[t];
            squares += _egoSquares[t];
        }
        return ranking / size + decay * squares / 2 / size;
    }

    private static double SumOfSquares(ReadOnlySpan<float> x) => TensorPrimitives.Dot<float>(x, x);
}
