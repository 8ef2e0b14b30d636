using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;

namespace Orleans.LlmRec.Recommendation.UnitTests.Evaluation;

public class RankingEvaluatorTests
{
    [Fact]
    public void RemovesTrainingItemsAndAveragesOverTestUsers()
    {
        // 2 users, 4 items. The scorer prefers low item ids. User 0 trained on item 0, so its top-2 is {1, 2};
        // test item 2 is a hit at rank 2. User 1 trained on item 3; top-2 is {0, 1}; test item 2 is a miss.
        // Every item is a candidate here, though items 1 and 2 never appear in training.
        var train = InteractionMatrix.Build(2, 4, [new(0, 0, 1, 0), new(1, 3, 1, 0)]);
        Interaction[] test = [new(0, 2, 1, 0), new(1, 2, 1, 0)];
        void Scorer(int user, Span<float> scores)
        {
            for (var i = 0; i < scores.Length; i++) scores[i] = -i;
        }
        var report = RankingEvaluator.Evaluate(Scorer, 4, train, test, new RankingEvaluationOptions { Ks = [2], OnlyTrainItems = false });
        Assert.Equal(2, report.EvaluatedUsers);
        var m = report.ByK[2];
        Assert.Equal((0.5 + 0) / 2, m.Precision, 12);
        Assert.Equal((1.0 + 0) / 2, m.Recall, 12);
        Assert.Equal(1 / Math.Log2(3) / 1 / 2, m.Ndcg, 12);
        Assert.Equal(0.5, m.HitRate, 12);
    }

    [Fact]
    public void SkipsUsersWithoutTrainingAndItemsNeverTrained()
    {
        // User 1 has no training row: it is not evaluated. Item 3 never appears in training: not a candidate.
        var train = InteractionMatrix.Build(2, 4, [new(0, 0, 1, 0), new(0, 1, 1, 0)]);
        Interaction[] test = [new(0, 3, 1, 0), new(1, 0, 1, 0)];
        void Scorer(int user, Span<float> scores)
        {
            for (var i = 0; i < scores.Length; i++) scores[i] = i;
        }
        var report = RankingEvaluator.Evaluate(Scorer, 4, train, test, new RankingEvaluationOptions { Ks = [1] });
        Assert.Equal(1, report.EvaluatedUsers);
        Assert.Equal(0.0, report.ByK[1].HitRate);
        var open = RankingEvaluator.Evaluate(Scorer, 4, train, test, new RankingEvaluationOptions { Ks = [1], OnlyTrainItems = false });
        Assert.Equal(1.0, open.ByK[1].HitRate);
    }

    [Fact]
    public void RelevanceThresholdDropsLowRatings()
    {
        var train = InteractionMatrix.Build(1, 3, [new(0, 0, 5, 0), new(0, 1, 5, 0), new(0, 2, 5, 0)]);
        var report = RankingEvaluator.Evaluate((_, s) => s.Fill(0), 3, train, [new(0, 1, 2, 0)],
            new RankingEvaluationOptions { RelevanceThreshold = 4 });
        Assert.Equal(0, report.EvaluatedUsers);
    }
}
