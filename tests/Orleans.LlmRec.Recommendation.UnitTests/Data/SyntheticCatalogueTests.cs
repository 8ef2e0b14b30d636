using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests.Data;

public class SyntheticCatalogueTests
{
    private static readonly SyntheticCatalogueOptions Small = new() { Seed = 3, UserCount = 500, ItemCount = 400, MeanInteractionsPerUser = 25 };

    [Fact]
    public void SameSeedGivesTheSameDataSet()
    {
        var first = SyntheticCatalogue.Generate(Small);
        var second = SyntheticCatalogue.Generate(Small);
        var other = SyntheticCatalogue.Generate(Small with { Seed = 4 });

        Assert.Equal(first.Interactions, second.Interactions);
        Assert.Equal(first.Items.Checksum(), second.Items.Checksum());
        Assert.Equal(first.ItemInfo.Values.Select(i => i.ToPromptLine()), second.ItemInfo.Values.Select(i => i.ToPromptLine()));
        Assert.NotEqual(first.Interactions, other.Interactions);
    }

    [Fact]
    public void HasTheConfiguredSizes()
    {
        var data = SyntheticCatalogue.Generate();

        Assert.Equal("synthetic", data.Name);
        Assert.Equal(1_000, data.UserCount);
        Assert.Equal(2_000, data.ItemCount);
        Assert.Equal(2_000, data.ItemInfo.Count);
        Assert.InRange(data.Interactions.Length, 40_000, 60_000);
        var perUser = data.Interactions.GroupBy(x => x.User).ToDictionary(g => g.Key, g => g.ToArray());
        Assert.Equal(1_000, perUser.Count);
        Assert.All(perUser.Values, xs => Assert.True(xs.Length >= 5));
        // A user never picks the same item twice.
        Assert.All(perUser.Values, xs => Assert.Equal(xs.Length, xs.Select(x => x.Item).Distinct().Count()));
    }

    [Fact]
    public void ItemsLookLikeMoviesAndRatingsAndTimesAreWellFormed()
    {
        var data = SyntheticCatalogue.Generate(Small);

        Assert.All(data.ItemInfo.Values, info =>
        {
            Assert.InRange(info.Year ?? 0, 1950, 2024);
            Assert.InRange(info.Genres.Count, 1, 3);
            Assert.All(info.Genres, g => Assert.Contains(g, SyntheticCatalogue.Genres));
            Assert.False(string.IsNullOrWhiteSpace(info.Title));
        });
        Assert.Equal(data.ItemCount, data.ItemInfo.Values.Select(i => i.Title).Distinct().Count());
        Assert.Equal([1f, 2f, 3f, 4f, 5f], data.Interactions.Select(x => x.Rating).Distinct().Order());
        foreach (var user in data.Interactions.GroupBy(x => x.User))
        {
            var times = user.Select(x => x.Timestamp).ToArray();
            Assert.True(times.Zip(times.Skip(1)).All(p => p.First < p.Second), $"user {user.Key} has times out of order");
        }
    }

    [Fact]
    public void UsersRateTheirFavouriteGenreHigher()
    {
        var data = SyntheticCatalogue.Generate(Small);

        // A user's favourite genre is the one they pick most; taste drives both picks and ratings.
        double favouriteSum = 0, otherSum = 0;
        int favouriteCount = 0, otherCount = 0;
        foreach (var user in data.Interactions.GroupBy(x => x.User))
        {
            var favourite = user.SelectMany(x => data.ItemInfo[x.Item].Genres).GroupBy(g => g)
                .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
            foreach (var x in user)
            {
                if (data.ItemInfo[x.Item].Genres.Contains(favourite)) { favouriteSum += x.Rating; favouriteCount++; }
                else { otherSum += x.Rating; otherCount++; }
            }
        }
        Assert.True(favouriteSum / favouriteCount > otherSum / otherCount + 0.1,
            $"favourite genre mean {favouriteSum / favouriteCount:F2} vs other {otherSum / otherCount:F2}");
    }

    [Fact]
    public void RatedItemsTakeTheFirstIndexes()
    {
        // With many more items than picks, some are never chosen; they must come after every chosen one.
        var data = SyntheticCatalogue.Generate(Small with { ItemCount = 5_000, UserCount = 50, MeanInteractionsPerUser = 10 });

        var rated = data.Interactions.Select(x => x.Item).Distinct().Count();
        Assert.True(rated < data.ItemCount);
        Assert.Equal(rated - 1, data.Interactions.Max(x => x.Item));
        Assert.Equal(data.ItemCount, data.Items.Count);
    }

    [Fact]
    public void ScalesToAHundredThousandItems()
    {
        var data = SyntheticCatalogue.Generate(new SyntheticCatalogueOptions { ItemCount = 100_000, UserCount = 200 });

        Assert.Equal(100_000, data.ItemCount);
        Assert.Equal(100_000, data.ItemInfo.Count);
        Assert.Equal(200, data.UserCount);
    }

    [Fact]
    public void RejectsImpossibleOptions()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticCatalogue.Generate(new SyntheticCatalogueOptions { ItemCount = 20, MeanInteractionsPerUser = 50 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => SyntheticCatalogue.Generate(new SyntheticCatalogueOptions { UserCount = 0 }));
    }

    [Fact]
    public void CoOccurrenceBeatsPopularityOnHeldOutLastItems()
    {
        var data = SyntheticCatalogue.Generate(Small);
        var (popularity, coOccurrence) = HitRatesAt10(data);

        // Structure a collaborative model can learn: item-to-item co-occurrence finds the held-out item far more
        // often than the most popular items do (about 2× on this seed).
        Assert.True(coOccurrence > 1.5 * popularity, $"co-occurrence HR@10 {coOccurrence:F3} vs popularity {popularity:F3}");
        Assert.True(popularity > 0.02, $"popularity HR@10 {popularity:F3}: the catalogue should still have hits");
    }

    /// <summary>Leave-last-out hit rate@10 of a popularity ranking and of item-item cosine co-occurrence.</summary>
    private static (double Popularity, double CoOccurrence) HitRatesAt10(RatingsDataset data)
    {
        const int K = 10;
        var train = new List<int>[data.UserCount];
        var heldOut = new int[data.UserCount];
        foreach (var user in data.Interactions.GroupBy(x => x.User))
        {
            var ordered = user.OrderBy(x => x.Timestamp).ToArray();
            train[user.Key] = ordered[..^1].Select(x => x.Item).ToList();
            heldOut[user.Key] = ordered[^1].Item;
        }
        var n = data.ItemCount;
        var degree = new double[n];
        var together = new double[n, n];
        foreach (var items in train)
        {
            foreach (var a in items)
            {
                degree[a]++;
                foreach (var b in items)
                {
                    if (a != b) together[a, b]++;
                }
            }
        }
        var byPopularity = Enumerable.Range(0, n).OrderByDescending(i => degree[i]).ThenBy(i => i).ToArray();
        int popularityHits = 0, coOccurrenceHits = 0;
        for (var u = 0; u < data.UserCount; u++)
        {
            var seen = train[u].ToHashSet();
            if (byPopularity.Where(i => !seen.Contains(i)).Take(K).Contains(heldOut[u])) popularityHits++;
            var score = new double[n];
            foreach (var a in train[u])
            {
                for (var b = 0; b < n; b++)
                {
                    if (together[a, b] > 0) score[b] += together[a, b] / Math.Sqrt(degree[a] * degree[b]);
                }
            }
            var top = Enumerable.Range(0, n).Where(i => !seen.Contains(i)).OrderByDescending(i => score[i]).ThenBy(i => i).Take(K);
            if (top.Contains(heldOut[u])) coOccurrenceHits++;
        }
        return (popularityHits / (double)data.UserCount, coOccurrenceHits / (double)data.UserCount);
    }

    [Fact]
    public void Descriptions_change_nothing_else_and_are_deterministic()
    {
        var plain = SyntheticCatalogue.Generate(Small);
        var described = SyntheticCatalogue.Generate(Small with { Descriptions = true });
        var again = SyntheticCatalogue.Generate(Small with { Descriptions = true });

        Assert.Equal(plain.Interactions, described.Interactions);
        Assert.Equal(plain.Items.ExternalIds, described.Items.ExternalIds);
        Assert.All(plain.ItemInfo, p => Assert.Equal(p.Value.Title, described.ItemInfo[p.Key].Title));
        Assert.All(plain.ItemInfo.Values, i => Assert.Null(i.Description));
        Assert.All(described.ItemInfo, p => Assert.Equal(p.Value.Description, again.ItemInfo[p.Key].Description));
        Assert.Equal(described.ItemCount, described.ItemInfo.Values.Count(i => !string.IsNullOrWhiteSpace(i.Description)));
    }

    /// <summary>
    /// A description's words follow the item's genres: horror items are described as terrifying, gory or haunted far
    /// more often than other items.
    /// </summary>
    [Fact]
    public void Descriptions_follow_the_genres()
    {
        var described = SyntheticCatalogue.Generate(Small with { Descriptions = true, ItemCount = 2_000 });
        static bool Scary(string text) => text.Contains("terrifying", StringComparison.Ordinal) || text.Contains("gory", StringComparison.Ordinal) || text.Contains("haunted", StringComparison.Ordinal);
        var horror = described.ItemInfo.Values.Where(i => i.Genres.Contains("Horror")).ToList();
        var other = described.ItemInfo.Values.Where(i => !i.Genres.Contains("Horror")).ToList();

        Assert.NotEmpty(horror);
        Assert.All(horror, i => Assert.True(Scary(i.Description!), i.Description));
        Assert.True(other.Count(i => Scary(i.Description!)) < other.Count / 10);
    }

    [Fact]
    public void Written_descriptions_read_back_through_the_descriptions_loader()
    {
        using var folder = new TempFolder();
        var described = SyntheticCatalogue.Generate(Small with { Descriptions = true });

        MovieLensWriter.WriteLatestSmallLayout(described, folder.Path);
        var read = ItemTextLoader.ReadDescriptions(Path.Combine(folder.Path, "descriptions.csv"));

        Assert.Equal(described.ItemCount, read.Count);
        Assert.Equal(described.ItemInfo[0].Description, read[described.Items.GetExternalId(0)]);
    }
}
