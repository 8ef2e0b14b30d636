namespace Orleans.LlmRec.Scoring.UnitTests.Retrieval;

/// <summary>
/// Item vectors in clusters (as trained embeddings fall: genres, topics), biases, and users near a cluster: the shape
/// on which an approximate index must find the exact top items. Seeded, so every run draws the same data.
/// </summary>
internal sealed class ClusteredVectors
{
    private readonly float[][] _centres;
    private readonly Random _random;

    public ClusteredVectors(int itemCount, int dimension, int seed, int clusters = 40)
    {
        _random = new Random(seed);
        Dimension = dimension;
        ItemCount = itemCount;
        _centres = new float[clusters][];
        for (var c = 0; c < clusters; c++) _centres[c] = Gaussians(dimension, 0.3f);
        Vectors = new float[itemCount * dimension];
        Biases = new float[itemCount];
        for (var i = 0; i < itemCount; i++)
        {
            var centre = _centres[_random.Next(clusters)];
            for (var j = 0; j < dimension; j++) Vectors[i * dimension + j] = centre[j] + Gaussian() * 0.12f;
            Biases[i] = Gaussian() * 0.1f;
        }
    }

    public int ItemCount { get; }
    public int Dimension { get; }
    public float[] Vectors { get; }
    public float[] Biases { get; }

    public ReadOnlySpan<float> Vector(int item) => Vectors.AsSpan(item * Dimension, Dimension);

    /// <summary>A user near one of the clusters.</summary>
    public float[] User()
    {
        var centre = _centres[_random.Next(_centres.Length)];
        var user = new float[Dimension];
        for (var j = 0; j < Dimension; j++) user[j] = centre[j] + Gaussian() * 0.2f;
        return user;
    }

    public float Score(ReadOnlySpan<float> user, int item) =>
        System.Numerics.Tensors.TensorPrimitives.Dot(user, Vector(item)) + Biases[item];

    /// <summary>The exact top <paramref name="k"/> items among those <paramref name="eligible"/> allows, best first.</summary>
    public int[] ExactTop(float[] user, int k, Func<int, bool>? eligible = null) =>
        Enumerable.Range(0, ItemCount)
            .Where(i => eligible?.Invoke(i) ?? true)
            .OrderByDescending(i => Score(user, i)).ThenBy(i => i)
            .Take(k)
            .ToArray();

    private float[] Gaussians(int count, float scale)
    {
        var values = new float[count];
        for (var j = 0; j < count; j++) values[j] = Gaussian() * scale;
        return values;
    }

    private float Gaussian()
    {
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
