using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests.Data;

/// <summary>
/// <c>llmrec data synth --shape clicks</c> at a tenth of the benchmark size (3k users × 4k items × 100k clicks): the
/// shape the scale benchmarks rely on, cheaply enough for CI.
/// </summary>
public class PowerLawClicksTests
{
    private static readonly PowerLawClicksOptions Small = new() { UserCount = 3_000, ItemCount = 4_000, InteractionCount = 100_000, Seed = 7 };

    private static readonly Lazy<RatingsDataset> Data = new(() => PowerLawClicks.Generate(Small));

    [Fact]
    public void HasTheAskedSizeWithoutDuplicatesAndWithinTheActivityBounds()
    {
        var data = Data.Value;
        Assert.Equal(3_000, data.UserCount);
        Assert.Equal(4_000, data.ItemCount);
        Assert.Equal(100_000, data.Interactions.Length);
        Assert.Equal(data.Interactions.Length, data.Interactions.Select(x => (x.User, x.Item)).Distinct().Count());
        var perUser = data.Interactions.CountBy(x => x.User).Select(p => p.Value).ToArray();
        Assert.Equal(3_000, perUser.Length);
        Assert.True(perUser.Min() >= Small.MinPerUser);
        Assert.True(perUser.Max() <= 1_000);
    }

    [Fact]
    public void PopularityAndActivityAreHeavyTailed()
    {
        var data = Data.Value;
        var perItem = data.Interactions.CountBy(x => x.Item).Select(p => p.Value).OrderDescending().ToArray();
        var perUser = data.Interactions.CountBy(x => x.User).Select(p => p.Value).OrderDescending().ToArray();
        var topItems = perItem.Take(data.ItemCount / 100).Sum() / (double)data.Interactions.Length;
        var topUsers = perUser.Take(data.UserCount / 100).Sum() / (double)data.Interactions.Length;

        // Uniform popularity would give the top 1 % of items about 1 % of the clicks.
        Assert.InRange(topItems, 0.10, 0.6);
        Assert.InRange(topUsers, 0.05, 0.5);
        // A median user is far below the mean: most users click little, a few a lot.
        Assert.True(perUser[perUser.Length / 2] < 0.75 * perUser.Average());
    }

    [Fact]
    public void SameSeedSameDataOtherSeedOtherData()
    {
        var options = Small with { UserCount = 300, ItemCount = 500, InteractionCount = 6_000 };
        var a = PowerLawClicks.Generate(options);
        var b = PowerLawClicks.Generate(options);
        var c = PowerLawClicks.Generate(options with { Seed = 8 });

        Assert.Equal(a.Interactions, b.Interactions);
        Assert.NotEqual(a.Interactions, c.Interactions);
    }

    [Theory]
    [InlineData(0, 100, 1_000)]
    [InlineData(10, 5, 100)]
    [InlineData(10, 100, 5)]
    [InlineData(10, 100, 100_000)]
    public void ImpossibleSizesAreRefused(int users, int items, int interactions)
    {
        Assert.ThrowsAny<ArgumentOutOfRangeException>(() => PowerLawClicks.Generate(new PowerLawClicksOptions
        {
            UserCount = users, ItemCount = items, InteractionCount = interactions,
        }));
    }
}
