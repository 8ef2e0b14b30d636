using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;

namespace Orleans.LlmRec.Recommendation.UnitTests.Evaluation;

public class PaperHitRateTests
{
    // Users 0–2 have training data; user 3 has none. Item 5 nobody trained on.
    private static readonly Interaction[] Train =
    [
        new(0, 0, 4, 1), new(0, 1, 2, 2),
        new(1, 0, 5, 1), new(1, 4, 3, 2),
        new(2, 1, 4, 1), new(2, 3, 1, 2),
    ];

    private static InteractionMatrix Matrix() => InteractionMatrix.Build(4, 6, Train);

    [Fact]
    public void Hit_rate_counts_every_case_and_the_cumulative_one_only_ratings_of_four_and_up()
    {
        Interaction[] heldOut = [new(0, 2, 5, 9), new(1, 3, 3, 9), new(2, 4, 4.5f, 9), new(3, 2, 5, 9)];
        // User 0 gets the held-out item first, user 1 third, user 2 never; user 3 cannot be ranked for.
        var lists = new Dictionary<int, int[]> { [0] = [2, 3, 4], [1] = [2, 4, 3], [2] = [2, 3, 0], [3] = [2] };
        int Recommend(int user, Span<int> ranked)
        {
            var list = lists[user].AsSpan(0, Math.Min(lists[user].Length, ranked.Length));
            list.CopyTo(ranked);
            return list.Length;
        }

        var report = PaperHitRate.Evaluate(Recommend, Matrix(), heldOut);

        Assert.Equal(3, report.Cases);
        Assert.Equal(2, report.RelevantCases);
        Assert.Equal(1.0 / 3, report.HitRate(1), 12);
        Assert.Equal(2.0 / 3, report.HitRate(5), 12);
        Assert.Equal(2.0 / 3, report.HitRate(10), 12);
        Assert.Equal(0.5, report.CumulativeHitRate(1), 12);
        Assert.Equal(0.5, report.CumulativeHitRate(10), 12);
        var flat = report.ToDictionary();
        Assert.Equal(report.HitRate(5), flat["hr@5"]);
        Assert.Equal(report.CumulativeHitRate(5), flat["chr@5"]);
        Assert.Equal(3, flat["cases"]);

        var filtered = PaperHitRate.Evaluate(Recommend, Matrix(), heldOut, include: x => x.User != 0);
        Assert.Equal(2, filtered.Cases);
        Assert.Equal(0, filtered.HitRate(1));
        Assert.Equal(0.5, filtered.HitRate(5), 12);
    }

    [Fact]
    public void Pooled_runs_add_their_counts()
    {
        var a = new HitRateReport(10, 4, new Dictionary<int, int> { [1] = 1, [10] = 3 }, new Dictionary<int, int> { [1] = 1, [10] = 2 }, 4f);
        var b = new HitRateReport(20, 6, new Dictionary<int, int> { [1] = 2, [10] = 3 }, new Dictionary<int, int> { [1] = 0, [10] = 3 }, 4f);

        var pooled = a.Plus(b);

        Assert.Equal(30, pooled.Cases);
        Assert.Equal(0.2, pooled.HitRate(10), 12);
        Assert.Equal(0.5, pooled.CumulativeHitRate(10), 12);
        Assert.Throws<ArgumentException>(() => a.Plus(b with { Threshold = 3f }));
    }

    [Fact]
    public void The_split_holds_out_one_random_rating_per_user_with_two_or_more()
    {
        Interaction[] all = [.. Train, new(3, 2, 5, 1)];

        var split = PaperHitRate.Split(all, seed: 1);
        var again = PaperHitRate.Split(all, seed: 1);

        Assert.Equal([0, 1, 2], split.Test.Select(x => x.User).Order());
        Assert.Contains(new Interaction(3, 2, 5, 1), split.Train);
        Assert.Equal(all.Length, split.Train.Length + split.Test.Length);
        Assert.Equal(split.Test, again.Test);
        var seeds = Enumerable.Range(0, 20).Select(s => string.Join(",", PaperHitRate.Split(all, s).Test.Select(x => x.Item))).Distinct().Count();
        Assert.True(seeds > 1, "Different seeds should hold out different ratings.");
    }

    [Fact]
    public void A_scorer_based_recommender_skips_training_items_and_items_nobody_trained_on()
    {
        // Scores favour the user's own item 0 and the never-trained item 5; neither may be recommended.
        void Score(int user, Span<float> scores)
        {
            for (var i = 0; i < scores.Length; i++) scores[i] = i == 0 || i == 5 ? 100 : 10 - i;
        }
        var recommend = PaperHitRate.FromScorer(Score, 6, Matrix());
        var ranked = new int[6];

        var count = recommend(0, ranked);

        Assert.Equal([3, 4], ranked[..count]);
    }
}
