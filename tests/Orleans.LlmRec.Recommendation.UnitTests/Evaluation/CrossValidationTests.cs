using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.Training;
using Orleans.LlmRec.Recommendation.UnitTests.Training;

namespace Orleans.LlmRec.Recommendation.UnitTests.Evaluation;

public class CrossValidationTests
{
    // Distinct timestamps make every interaction identifiable.
    private static Interaction[] Numbered(int count) =>
        Enumerable.Range(0, count).Select(n => new Interaction(n % 7, n % 11, 1 + n % 5, n)).ToArray();

    [Theory]
    [InlineData(103, 5)]
    [InlineData(10, 10)]
    [InlineData(50, 2)]
    public void KFold_test_parts_are_disjoint_and_cover_everything(int count, int k)
    {
        var all = Numbered(count);
        var folds = CrossValidation.KFold(all, k, seed: 1);

        Assert.Equal(k, folds.Count);
        var tested = folds.SelectMany(f => f.Test).Select(x => x.Timestamp).ToList();
        Assert.Equal(count, tested.Count);
        Assert.Equal(all.Select(x => x.Timestamp).Order(), tested.Order());
        foreach (var fold in folds)
        {
            Assert.Equal(count, fold.Train.Length + fold.Test.Length);
            Assert.InRange(fold.Test.Length, count / k, count / k + 1);
            Assert.Empty(fold.Train.Select(x => x.Timestamp).Intersect(fold.Test.Select(x => x.Timestamp)));
        }
    }

    [Fact]
    public void KFold_is_deterministic_for_a_seed_and_shuffles()
    {
        var all = Numbered(200);
        var first = CrossValidation.KFold(all, 5, seed: 9);
        var again = CrossValidation.KFold(all, 5, seed: 9);
        var other = CrossValidation.KFold(all, 5, seed: 10);

        for (var f = 0; f < 5; f++)
        {
            Assert.Equal(first[f].Test, again[f].Test);
            Assert.Equal(first[f].Train, again[f].Train);
        }
        Assert.NotEqual(first[0].Test, other[0].Test);
        // A shuffle, not the input order cut in pieces.
        Assert.NotEqual(all[..40], first[0].Test);
    }

    [Fact]
    public void KFold_rejects_impossible_fold_counts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CrossValidation.KFold(Numbered(10), 1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CrossValidation.KFold(Numbered(3), 4, 0));
    }

    [Fact]
    public void EvaluateRatings_reports_every_fold_and_their_mean()
    {
        var data = LowRankRatings.Generate(users: 60, items: 50, density: 0.4);
        var trainer = new SvdTrainer(new SvdOptions { Factors = 5, Epochs = 10 });

        var result = CrossValidation.EvaluateRatings(data, trainer, k: 3, seed: 2);

        Assert.Equal(3, result.Folds.Count);
        Assert.Equal(result.Folds.Average(f => f.Rmse), result.MeanRmse, 12);
        Assert.Equal(result.Folds.Average(f => f.Mae), result.MeanMae, 12);
        Assert.Equal(data.Interactions.Length, result.Folds.Sum(f => f.TestCount));
        Assert.All(result.Folds, f =>
        {
            Assert.InRange(f.Rmse, f.Mae, 4.0);
            Assert.True(f.Seconds >= 0);
        });
    }
}
