using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.Evaluation;

/// <summary>Error figures of rating predictions: root mean squared error and mean absolute error.</summary>
public static class RatingMetrics
{
    public static double Rmse(IReadOnlyCollection<(float Actual, float Predicted)> pairs)
    {
        RequireSome(pairs);
        var sum = 0.0;
        foreach (var (actual, predicted) in pairs)
        {
            var e = (double)actual - predicted;
            sum += e * e;
        }
        return Math.Sqrt(sum / pairs.Count);
    }

    public static double Mae(IReadOnlyCollection<(float Actual, float Predicted)> pairs)
    {
        RequireSome(pairs);
        var sum = 0.0;
        foreach (var (actual, predicted) in pairs)
        {
            sum += Math.Abs((double)actual - predicted);
        }
        return sum / pairs.Count;
    }

    /// <summary>
    /// Scores every test interaction with <paramref name="model"/>, clipped to [<paramref name="minRating"/>,
    /// <paramref name="maxRating"/>] as Surprise clips to the rating scale, and returns RMSE and MAE.
    /// </summary>
    public static (double Rmse, double Mae) Evaluate(EmbeddingModel model, IReadOnlyCollection<Interaction> test, float minRating, float maxRating)
    {
        ArgumentNullException.ThrowIfNull(model);
        var pairs = Predict(model, test, minRating, maxRating);
        return (Rmse(pairs), Mae(pairs));
    }

    /// <summary>(actual, clipped prediction) for every test interaction, in the order given.</summary>
    public static (float Actual, float Predicted)[] Predict(EmbeddingModel model, IReadOnlyCollection<Interaction> test, float minRating, float maxRating)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        if (!(minRating <= maxRating))
        {
            throw new ArgumentException($"Rating range [{minRating}, {maxRating}] is empty.", nameof(minRating));
        }
        var pairs = new (float Actual, float Predicted)[test.Count];
        var k = 0;
        foreach (var x in test)
        {
            if ((uint)x.User >= (uint)model.UserCount || (uint)x.Item >= (uint)model.ItemCount)
            {
                throw new ArgumentException($"Test interaction ({x.User},{x.Item}) is outside the model ({model.UserCount} users, {model.ItemCount} items).", nameof(test));
            }
            pairs[k++] = (x.Rating, Math.Clamp(model.Score(x.User, x.Item), minRating, maxRating));
        }
        return pairs;
    }

    private static void RequireSome(IReadOnlyCollection<(float Actual, float Predicted)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0)
        {
            throw new ArgumentException("No (actual, predicted) pairs to measure.", nameof(pairs));
        }
    }
}
