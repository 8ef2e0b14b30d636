using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.FoldIn;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;
using static Orleans.LlmRec.Recommendation.UnitTests.FoldIn.FoldInWorld;

namespace Orleans.LlmRec.Recommendation.UnitTests.FoldIn;

public class UserFoldInTests
{

    public static TheoryData<ModelKind> PersonalisedKinds => [.. ModelTrainers.PersonalisedKinds];

    [Theory]
    [MemberData(nameof(PersonalisedKinds))]
    public void ClicksOnOneGenreRaiseThatGenreInTheTopK(ModelKind kind)
    {
        var data = DataFor(kind);
        var model = Train(kind);
        var foldIn = new UserFoldIn(model);
        var genreOf = (int item) => data.ItemInfo.TryGetValue(item, out var info) ? info.Genres : [];
        var popularity = data.ToMatrix();

        // A user with a few popular items of mixed genres, then ten items of one genre: clicks for the ranking
        // models (implicit events, as the service receives them); for rating models, 5 stars for the genre and
        // 1 star for the rest.
        var start = Enumerable.Range(0, data.ItemCount).OrderByDescending(popularity.ItemDegree).Take(5).ToList();
        var genre = SyntheticCatalogue.Genres.First(g => start.All(i => !genreOf(i).Contains(g)) && Enumerable.Range(0, data.ItemCount).Count(i => genreOf(i).Contains(g)) >= 30);
        var clicks = Enumerable.Range(0, data.ItemCount).Where(i => genreOf(i).Contains(genre)).OrderByDescending(popularity.ItemDegree).Take(10).ToList();

        int GenreShareInTop20(List<int> history)
        {
            var folded = foldIn.Compute(history.Select(i => kind.PredictsRatings()
                ? new FoldInInteraction(i, clicks.Contains(i) ? 5f : 1f, IsRating: true)
                : new FoldInInteraction(i, 1f)).ToArray());
            var scores = new float[model.ItemCount];
            model.ScoreAll(folded.Vector, folded.Bias, scores);
            foreach (var seen in history) scores[seen] = float.NegativeInfinity;
            var top = new int[20];
            var count = TopK.Select(scores, 20, top);
            return top.Take(count).Count(i => genreOf(i).Contains(genre));
        }

        var before = GenreShareInTop20(start);
        var after = GenreShareInTop20([.. start, .. clicks]);
        Assert.True(after > before, $"{kind.ToName()}: {genre} items in top-20 went from {before} to {after}.");
        Assert.True(after >= 5, $"{kind.ToName()}: only {after} {genre} items in the top-20 after ten {genre} clicks.");
    }

    [Theory]
    [InlineData(ModelKind.Svd)]
    [InlineData(ModelKind.Bpr)]
    public void FoldingInATrainedUserRanksLikeTheirTrainedVector(ModelKind kind)
    {
        var data = DataFor(kind);
        var model = Train(kind);
        var matrix = data.ToMatrix();
        var foldIn = new UserFoldIn(model);
        var agreements = new List<double>();
        foreach (var user in Enumerable.Range(0, 40))
        {
            var folded = FoldInTrainingHistory(foldIn, kind, matrix, user);
            var trained = new float[model.ItemCount];
            var refolded = new float[model.ItemCount];
            model.ScoreAll(user, trained);
            model.ScoreAll(folded.Vector, folded.Bias, refolded);
            agreements.Add(Pearson(trained, refolded));
        }
        Assert.True(agreements.Average() > 0.7, $"{kind.ToName()}: mean correlation of folded and trained scores is {agreements.Average():F3}.");
    }

    [Fact]
    public void PopularityFoldsToNoVector()
    {
        var model = new PopularityTrainer().Train(Catalogue.Value);
        var folded = new UserFoldIn(model).Compute([new FoldInInteraction(1, 1)]);
        Assert.Empty(folded.Vector);
    }

    [Fact]
    public void UnknownItemsAreIgnored()
    {
        var model = Train(ModelKind.Svd);
        var folded = new UserFoldIn(model).Compute([new FoldInInteraction(-1, 5), new FoldInInteraction(model.ItemCount + 5, 5)]);
        Assert.Equal(0, folded.UsedInteractions);
        Assert.All(folded.Vector, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void CholeskySolvesAKnownSystem()
    {
        // A = [[4, 2], [2, 3]], x = [1, -2] → b = [0, -4].
        double[] a = [4, 2, 2, 3];
        double[] b = [0, -4];
        DenseSolver.SolveSymmetricPositiveDefinite(a, b, 2);
        Assert.Equal(1, b[0], 10);
        Assert.Equal(-2, b[1], 10);
    }

    private static double Pearson(float[] x, float[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.Sqrt(sxx * syy);
    }
}
