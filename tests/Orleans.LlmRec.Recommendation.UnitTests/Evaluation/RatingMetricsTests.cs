using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.UnitTests.Evaluation;

public class RatingMetricsTests
{
    private static readonly (float Actual, float Predicted)[] HandCase = [(3f, 2.5f), (4f, 4f), (1f, 2f), (5f, 3f)];

    [Fact]
    public void Rmse_matches_hand_computation()
    {
        // errors 0.5, 0, -1, 2 → squares 0.25 + 0 + 1 + 4 = 5.25 over 4.
        Assert.Equal(Math.Sqrt(5.25 / 4), RatingMetrics.Rmse(HandCase), 12);
    }

    [Fact]
    public void Mae_matches_hand_computation()
    {
        // |errors| 0.5 + 0 + 1 + 2 = 3.5 over 4.
        Assert.Equal(3.5 / 4, RatingMetrics.Mae(HandCase), 12);
    }

    [Fact]
    public void Perfect_predictions_have_zero_error()
    {
        (float, float)[] pairs = [(1f, 1f), (4.5f, 4.5f)];
        Assert.Equal(0, RatingMetrics.Rmse(pairs));
        Assert.Equal(0, RatingMetrics.Mae(pairs));
    }

    [Fact]
    public void Empty_input_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => RatingMetrics.Rmse([]));
        Assert.Throws<ArgumentException>(() => RatingMetrics.Mae([]));
    }

    [Fact]
    public void Evaluate_clips_scores_to_the_rating_range()
    {
        var model = new EmbeddingModel(ModelKind.Svd, userCount: 2, itemCount: 2, dimension: 1) { GlobalBias = 3f };
        model.UserBias[0] = 4f; // user 0 scores 7 → clipped to 5
        model.UserBias[1] = -3f; // user 1 scores 0 → clipped to 1
        Interaction[] test = [new(0, 0, 5f, 0), new(0, 1, 4f, 0), new(1, 0, 2f, 0)];

        var (rmse, mae) = RatingMetrics.Evaluate(model, test, 1f, 5f);

        // clipped predictions 5, 5, 1 → errors 0, -1, 1.
        Assert.Equal(Math.Sqrt(2.0 / 3), rmse, 6);
        Assert.Equal(2.0 / 3, mae, 6);
    }

    [Fact]
    public void Evaluate_rejects_interactions_outside_the_model()
    {
        var model = new EmbeddingModel(ModelKind.Svd, 1, 1, 1);
        Assert.Throws<ArgumentException>(() => RatingMetrics.Evaluate(model, [new Interaction(0, 3, 1f, 0)], 1f, 5f));
    }
}
