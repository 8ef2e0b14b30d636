using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests.Data;

public class DatasetStatisticsTests
{
    [Fact]
    public void SummarizesTheLatestSmallFixture()
    {
        using var folder = new TempFolder();
        MovieLensFixtures.WriteLatestSmall(folder);
        var data = MovieLensLoader.LoadLatestSmall(folder.Path);

        var stats = DatasetStatistics.Compute(data);

        // 2 users, 5 items of which 3 rated, ratings 4.0, 0.5, 5.0, 3.5.
        Assert.Equal(2, stats.Users);
        Assert.Equal(5, stats.Items);
        Assert.Equal(3, stats.RatedItems);
        Assert.Equal(4, stats.Interactions);
        Assert.Equal(0.4, stats.Density, 12);
        Assert.Equal(0.5f, stats.MinRating);
        Assert.Equal(5f, stats.MaxRating);
        Assert.Equal(3.25, stats.MeanRating, 12);
        Assert.Equal([new HistogramBin(0.5f, 0.5f, 1), new HistogramBin(3.5f, 3.5f, 1), new HistogramBin(4f, 4f, 1), new HistogramBin(5f, 5f, 1)], stats.RatingHistogram);
        Assert.Equal(new CountSummary(2, 2, 2, 2), stats.PerUser);
        // Items have 1, 2, 1, 0, 0 ratings.
        Assert.Equal(new CountSummary(0, 1, 2, 0.8), stats.PerItem);
        Assert.Equal(964981247, stats.MinTimestamp);
        Assert.Equal(964983815, stats.MaxTimestamp);
        Assert.Contains("2 users, 5 items (3 rated), 4 interactions", stats.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void MedianOfAnEvenCountIsTheMeanOfTheMiddleTwo()
    {
        var users = new IdMap(["a", "b", "c", "d"]);
        var items = new IdMap(["x", "y", "z"]);
        Interaction[] interactions = [new(0, 0, 1, 10), new(1, 0, 1, 20), new(1, 1, 1, 30), new(2, 0, 1, 40), new(2, 1, 1, 50), new(2, 2, 1, 60), new(3, 0, 1, 5)];

        var stats = DatasetStatistics.Compute(new RatingsDataset("t", users, items, interactions));

        Assert.Equal(new CountSummary(1, 1.5, 3, 1.75), stats.PerUser);
        Assert.Equal(5, stats.MinTimestamp);
        Assert.Equal(60, stats.MaxTimestamp);
    }

    [Fact]
    public void ManyDistinctRatingsGoIntoTenEqualBins()
    {
        var users = new IdMap(["u"]);
        var items = new IdMap(Enumerable.Range(0, 101).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var interactions = Enumerable.Range(0, 101).Select(i => new Interaction(0, i, i / 10f, i)).ToArray();

        var stats = DatasetStatistics.Compute(new RatingsDataset("t", users, items, interactions));

        Assert.Equal(10, stats.RatingHistogram.Count);
        Assert.Equal(101, stats.RatingHistogram.Sum(b => b.Count));
        Assert.Equal(0f, stats.RatingHistogram[0].Lower);
        Assert.Equal(10f, stats.RatingHistogram[^1].Upper);
    }

    [Fact]
    public void AnEmptyPartHasZeros()
    {
        var data = new RatingsDataset("t", new IdMap(["u"]), new IdMap(["i"]), []);

        var stats = DatasetStatistics.Compute(data);

        Assert.Equal(0, stats.Interactions);
        Assert.Empty(stats.RatingHistogram);
        Assert.Equal(new CountSummary(0, 0, 0, 0), stats.PerUser);
    }
}
