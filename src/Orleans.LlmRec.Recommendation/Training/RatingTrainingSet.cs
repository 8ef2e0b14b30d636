using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>What both rating trainers derive from a training split before SGD: the de-duplicated matrix, mean and range.</summary>
internal sealed class RatingTrainingSet
{
    private RatingTrainingSet(InteractionMatrix matrix, double globalMean, float minRating, float maxRating)
    {
        Matrix = matrix;
        GlobalMean = globalMean;
        MinRating = minRating;
        MaxRating = maxRating;
    }

    public InteractionMatrix Matrix { get; }
    public double GlobalMean { get; }
    public float MinRating { get; }
    public float MaxRating { get; }

    public static RatingTrainingSet From(RatingsDataset train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var matrix = train.ToMatrix();
        if (matrix.NonZeroCount == 0)
        {
            throw new ArgumentException($"Training split '{train.Name}' has no ratings.", nameof(train));
        }
        var sum = 0.0;
        var min = float.PositiveInfinity;
        var max = float.NegativeInfinity;
        foreach (var r in matrix.UserRatings)
        {
            if (!float.IsFinite(r))
            {
                throw new ArgumentException($"Training split '{train.Name}' holds a non-finite rating.", nameof(train));
            }
            sum += r;
            min = Math.Min(min, r);
            max = Math.Max(max, r);
        }
        return new RatingTrainingSet(matrix, sum / matrix.NonZeroCount, min, max);
    }

    public float Clip(float prediction) => Math.Clamp(prediction, MinRating, MaxRating);

    /// <summary>
    /// Zeroes the factor rows of users (or items) without training ratings, so the served score falls back to
    /// mu + b_i for an unseen user and mu + b_u for an unseen item, as Surprise's estimate does.
    /// </summary>
    public static void ZeroUnseenRows(float[] factors, int dimension, int count, Func<int, int> degree)
    {
        for (var k = 0; k < count; k++)
        {
            if (degree(k) == 0)
            {
                factors.AsSpan(k * dimension, dimension).Clear();
            }
        }
    }
}
