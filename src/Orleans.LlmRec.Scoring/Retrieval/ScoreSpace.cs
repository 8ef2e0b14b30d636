using System.Numerics.Tensors;

namespace Orleans.LlmRec.Scoring.Retrieval;

/// <summary>
/// How <see cref="ItemVectorIndex"/> stores items and asks for users so that the index's distance orders items exactly
/// as the model's score <c>user·item + itemBias</c> (<see cref="ItemIndexMetric"/>). For 8-bit storage every stored
/// value is scaled by <see cref="Scale"/> into [−1, 1]. USearch's 8-bit cast (checked against 2.26.6) first scales each
/// vector to unit length, then truncates 127·x to integers, and measures squared Euclidean distance on those: every
/// stored Euclidean vector has norm R, so the order is the score's (cosine with the query), but a distance gives back
/// a score only through <see cref="ScoreOf"/>'s cosine model.
/// </summary>
internal sealed class ScoreSpace(int dimension, ItemIndexMetric metric, float radiusSquared, ItemIndexQuantization quantization, float int8NormSquared = 127f * 127f)
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

    /// <summary>
    /// The mean squared norm of the built items' 8-bit vectors (truncating 127·x loses ~5 % of it), which the score
    /// model of <see cref="ScoreOf"/> needs: an item's own is not kept.
    /// </summary>
    public float Int8NormSquared { get; } = int8NormSquared;

    private bool IsInt8 => Scale != 1f;

    /// <summary>True when the item cannot be stored at norm R (Euclidean only): it must be scored beside the graph.</summary>
    public bool IsOutlier(ReadOnlySpan<float> vector, float bias) => Metric == ItemIndexMetric.Euclidean && NormSquared(vector, bias) > RadiusSquared;

    public void WriteItem(ReadOnlySpan<float> vector, float bias, Span<float> stored)
    {
        vector.CopyTo(stored);
        stored[Dimension] = bias;
        if (Metric == ItemIndexMetric.Euclidean) stored[Dimension + 1] = MathF.Sqrt(MathF.Max(0f, RadiusSquared - NormSquared(vector, bias)));
        ScaleInPlace(stored);
    }

    /// <summary>
    /// Writes the query for <paramref name="user"/> and returns its squared norm as the graph sees it (what
    /// <see cref="ScoreOf"/> needs). Under 8-bit storage a user longer than the items is shrunk into [−1, 1], never
    /// clamped (clamping bends the query's direction: the order of the items, and the scores given back); USearch
    /// scales it to unit length anyway, and the returned norm is that of its truncated 8-bit values.
    /// </summary>
    public float WriteQuery(ReadOnlySpan<float> user, Span<float> query)
    {
        user.CopyTo(query);
        query[Dimension] = 1f;
        if (Metric == ItemIndexMetric.Euclidean) query[Dimension + 1] = 0f;
        if (!IsInt8) return TensorPrimitives.Dot<float>(query, query);
        var largest = TensorPrimitives.MaxMagnitude(query) * Scale;
        TensorPrimitives.Multiply(query, largest > 1f ? Scale / largest : Scale, query);
        TensorPrimitives.Clamp(query, -1f, 1f, query);
        return Int8SquaredNorm(query, TensorPrimitives.Norm(query));
    }

    /// <summary>
    /// The score back from a distance of the graph, for a user of squared norm <paramref name="userNormSquared"/> whose
    /// query <see cref="WriteQuery"/> gave <paramref name="queryNormSquared"/>. Euclidean: the distance is
    /// <c>‖q‖² + R² − 2·score</c>; under 8-bit storage it is <c>‖a‖² + ‖b‖² − 2a·b</c> on the truncated unit vectors a
    /// (query) and b (item, whose norm is taken as the built items' mean), and <c>a·b / (‖a‖‖b‖)</c> is the cosine,
    /// <c>score / (‖q‖R)</c>. Inner product: <c>1 − score</c>. Approximate under 16- and 8-bit storage.
    /// </summary>
    public float ScoreOf(float distance, float userNormSquared, float queryNormSquared)
    {
        if (Metric != ItemIndexMetric.Euclidean) return (1f - distance) / DistanceUnit;
        if (!IsInt8) return (queryNormSquared + RadiusSquared - distance) / 2f;
        var cosine = (queryNormSquared + Int8NormSquared - distance) / (2f * MathF.Sqrt(queryNormSquared * Int8NormSquared));
        return cosine * MathF.Sqrt((userNormSquared + 1f) * RadiusSquared);
    }

    public static float NormSquared(ReadOnlySpan<float> vector, float bias) => TensorPrimitives.Dot(vector, vector) + bias * bias;

    /// <summary>A space for <paramref name="count"/> items with room (R² a quarter above the largest) for later ones.</summary>
    public static ScoreSpace For(float[] vectors, float[] biases, int count, int dimension, ItemIndexMetric metric, ItemIndexQuantization quantization)
    {
        var max = 0f;
        for (var i = 0; i < count; i++) max = MathF.Max(max, NormSquared(vectors.AsSpan(i * dimension, dimension), biases[i]));
        // The query's 1 (bias) must fit the 8-bit range too.
        var radiusSquared = MathF.Max(1.25f * max + 1e-6f, quantization == ItemIndexQuantization.Int8 ? 1f : 0f);
        var space = new ScoreSpace(dimension, metric, radiusSquared, quantization);
        if (quantization != ItemIndexQuantization.Int8 || metric != ItemIndexMetric.Euclidean || count == 0) return space;
        var stored = new float[space.StoredDimension];
        double sum = 0;
        for (var i = 0; i < count; i++)
        {
            space.WriteItem(vectors.AsSpan(i * dimension, dimension), biases[i], stored);
            sum += Int8SquaredNorm(stored, TensorPrimitives.Norm<float>(stored));
        }
        return new ScoreSpace(dimension, metric, radiusSquared, quantization, (float)(sum / count));
    }

    /// <summary>The squared norm of USearch's 8-bit form of <paramref name="values"/>: trunc(127·x/‖x‖) per value.</summary>
    private static float Int8SquaredNorm(ReadOnlySpan<float> values, float norm)
    {
        var sum = 0f;
        foreach (var value in values)
        {
            var integer = MathF.Truncate(127f * value / norm);
            sum += integer * integer;
        }
        return sum;
    }

    private void ScaleInPlace(Span<float> values)
    {
        if (Scale == 1f) return;
        TensorPrimitives.Multiply(values, Scale, values);
        // Items added later may lie a little outside; USearch's 8-bit cast does not saturate.
        TensorPrimitives.Clamp(values, -1f, 1f, values);
    }
}
