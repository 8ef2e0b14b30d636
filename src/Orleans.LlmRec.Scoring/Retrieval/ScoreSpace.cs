using System.Numerics.Tensors;

namespace Orleans.LlmRec.Scoring.Retrieval;

/// <summary>
/// How <see cref="ItemVectorIndex"/> stores items and asks for users so that the index's distance orders items exactly
/// as the model's score <c>user·item + itemBias</c> (<see cref="ItemIndexMetric"/>). For 8-bit storage every stored
/// value is scaled by <see cref="Scale"/> into [−1, 1], the range USearch rounds to 1/127; scaling item and query alike
/// multiplies every distance by the same factor, so the order is kept.
/// </summary>
internal sealed class ScoreSpace(int dimension, ItemIndexMetric metric, float radiusSquared, ItemIndexQuantization quantization)
{
    public int Dimension { get; } = dimension;
    public ItemIndexMetric Metric { get; } = metric;

    /// <summary>Values per stored vector: the model's dimension, the bias, and for Euclidean the norm filler.</summary>
    public int StoredDimension { get; } = dimension + (metric == ItemIndexMetric.Euclidean ? 2 : 1);

    /// <summary>R², the squared norm every stored Euclidean vector is filled up to (and the bound of 8-bit scaling).</summary>
    public float RadiusSquared { get; } = radiusSquared;

    /// <summary>The factor every stored and query value is multiplied by: 1/R for 8-bit storage (no value exceeds R), else 1.</summary>
    public float Scale { get; } = quantization == ItemIndexQuantization.Int8 ? 1f / MathF.Sqrt(radiusSquared) : 1f;

    /// <summary>
    /// What one unit of the model's squared distance (or inner product) is in the graph's distances: Scale², times
    /// 127² for 8-bit storage, whose distances USearch computes on the rounded integers.
    /// </summary>
    public float DistanceUnit { get; } = quantization == ItemIndexQuantization.Int8 ? 127f * 127f / radiusSquared : 1f;

    /// <summary>True when the item cannot be stored at norm R (Euclidean only): it must be scored beside the graph.</summary>
    public bool IsOutlier(ReadOnlySpan<float> vector, float bias) => Metric == ItemIndexMetric.Euclidean && NormSquared(vector, bias) > RadiusSquared;

    public void WriteItem(ReadOnlySpan<float> vector, float bias, Span<float> stored)
    {
        vector.CopyTo(stored);
        stored[Dimension] = bias;
        if (Metric == ItemIndexMetric.Euclidean) stored[Dimension + 1] = MathF.Sqrt(MathF.Max(0f, RadiusSquared - NormSquared(vector, bias)));
        ScaleInPlace(stored);
    }

    public void WriteQuery(ReadOnlySpan<float> user, Span<float> query)
    {
        user.CopyTo(query);
        query[Dimension] = 1f;
        if (Metric == ItemIndexMetric.Euclidean) query[Dimension + 1] = 0f;
        ScaleInPlace(query);
    }

    /// <summary>
    /// The score back from a distance of the graph (unscaled first): Euclidean <c>‖q‖² + R² − 2·score</c>, inner
    /// product <c>1 − score</c>. Approximate under 16- and 8-bit storage.
    /// </summary>
    public float ScoreOf(float distance, float userNormSquared)
    {
        if (Metric == ItemIndexMetric.Euclidean) return (userNormSquared + 1f + RadiusSquared - distance / DistanceUnit) / 2f;
        return (1f - distance) / DistanceUnit;
    }

    public static float NormSquared(ReadOnlySpan<float> vector, float bias) => TensorPrimitives.Dot(vector, vector) + bias * bias;

    /// <summary>A space for <paramref name="count"/> items with room (R² a quarter above the largest) for later ones.</summary>
    public static ScoreSpace For(float[] vectors, float[] biases, int count, int dimension, ItemIndexMetric metric, ItemIndexQuantization quantization)
    {
        var max = 0f;
        for (var i = 0; i < count; i++) max = MathF.Max(max, NormSquared(vectors.AsSpan(i * dimension, dimension), biases[i]));
        // The query's 1 (bias) must fit the 8-bit range too.
        return new ScoreSpace(dimension, metric, MathF.Max(1.25f * max + 1e-6f, quantization == ItemIndexQuantization.Int8 ? 1f : 0f), quantization);
    }

    private void ScaleInPlace(Span<float> values)
    {
        if (Scale == 1f) return;
        TensorPrimitives.Multiply(values, Scale, values);
        // Items added later may lie a little outside; USearch's 8-bit cast does not saturate.
        TensorPrimitives.Clamp(values, -1f, 1f, values);
    }
}
