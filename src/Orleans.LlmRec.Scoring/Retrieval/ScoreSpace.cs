using System.Numerics.Tensors;

namespace Orleans.LlmRec.Scoring.Retrieval;

/// <summary>
/// How <see cref="ItemVectorIndex"/> stores items and asks for users so that the index's distance orders items exactly
/// as the model's score <c>user·item + itemBias</c> (<see cref="ItemIndexMetric"/>).
/// </summary>
internal sealed class ScoreSpace(int dimension, ItemIndexMetric metric, float radiusSquared)
{
    public int Dimension { get; } = dimension;
    public ItemIndexMetric Metric { get; } = metric;

    /// <summary>Values per stored vector: the model's dimension, the bias, and for Euclidean the norm filler.</summary>
    public int StoredDimension { get; } = dimension + (metric == ItemIndexMetric.Euclidean ? 2 : 1);

    /// <summary>R², the squared norm every stored Euclidean vector is filled up to.</summary>
    public float RadiusSquared { get; } = radiusSquared;

    /// <summary>True when the item cannot be stored at norm R (Euclidean only): it must be scored beside the graph.</summary>
    public bool IsOutlier(ReadOnlySpan<float> vector, float bias) => Metric == ItemIndexMetric.Euclidean && NormSquared(vector, bias) > RadiusSquared;

    public void WriteItem(ReadOnlySpan<float> vector, float bias, Span<float> stored)
    {
        vector.CopyTo(stored);
        stored[Dimension] = bias;
        if (Metric == ItemIndexMetric.Euclidean) stored[Dimension + 1] = MathF.Sqrt(MathF.Max(0f, RadiusSquared - NormSquared(vector, bias)));
    }

    public void WriteQuery(ReadOnlySpan<float> user, Span<float> query)
    {
        user.CopyTo(query);
        query[Dimension] = 1f;
        if (Metric == ItemIndexMetric.Euclidean) query[Dimension + 1] = 0f;
    }

    /// <summary>The score back from a distance: Euclidean <c>‖q‖² + R² − 2·score</c>, inner product <c>1 − score</c>.</summary>
    public float ScoreOf(float distance, float userNormSquared) =>
        Metric == ItemIndexMetric.Euclidean ? (userNormSquared + 1f + RadiusSquared - distance) / 2f : 1f - distance;

    public static float NormSquared(ReadOnlySpan<float> vector, float bias) => TensorPrimitives.Dot(vector, vector) + bias * bias;

    /// <summary>A space for <paramref name="count"/> items with room (R² a quarter above the largest) for later ones.</summary>
    public static ScoreSpace For(float[] vectors, float[] biases, int count, int dimension, ItemIndexMetric metric)
    {
        var max = 0f;
        for (var i = 0; i < count; i++) max = MathF.Max(max, NormSquared(vectors.AsSpan(i * dimension, dimension), biases[i]));
        return new ScoreSpace(dimension, metric, 1.25f * max + 1e-6f);
    }
}
