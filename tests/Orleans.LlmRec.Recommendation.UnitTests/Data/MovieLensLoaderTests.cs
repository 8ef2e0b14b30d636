using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests.Data;

public class MovieLensLoaderTests
{
    [Fact]
    public void LatestSmallAssignsRatedItemsFirstInFirstSeenOrder()
    {
        using var folder = new TempFolder();
        MovieLensFixtures.WriteLatestSmall(folder);

        var data = MovieLensLoader.LoadLatestSmall(folder.Path);

        Assert.Equal(["1", "7"], data.Users.ExternalIds);
        Assert.Equal(["11", "3", "29", "171749", "140956"], data.Items.ExternalIds);
        Assert.Equal(
            [new Interaction(0, 0, 4.0f, 964982703), new Interaction(0, 1, 0.5f, 964981247), new Interaction(1, 1, 5.0f, 964982224), new Interaction(1, 2, 3.5f, 964983815)],
            data.Interactions);
        Assert.Equal(5, data.ItemInfo.Count);
    }

    [Fact]
    public void LatestSmallReadsQuotedTitlesYearsGenresTagsAndLinks()
    {
        using var folder = new TempFolder();
        MovieLensFixtures.WriteLatestSmall(folder);

        var data = MovieLensLoader.LoadLatestSmall(folder.Path);

        var president = data.ItemInfo[data.Items["11"]];
        Assert.Equal("American President, The (1995)", president.Title);
        Assert.Equal(1995, president.Year);
        Assert.Equal(["Comedy", "Drama", "Romance"], president.Genres);
        // Three spellings of "funny" count as one tag, kept as first written and ranked by use.
        Assert.Equal(["Funny", "politics"], president.Tags);
        Assert.Equal("0112346", president.ImdbId);
        Assert.Null(president.TmdbId);

        var city = data.ItemInfo[data.Items["29"]];
        Assert.Equal("City of Lost Children, The (Cité des enfants perdus, La) (1995)", city.Title);
        Assert.Equal(["dark\r\nsurreal"], city.Tags);
        Assert.Equal("902", city.TmdbId);

        var series = data.ItemInfo[data.Items["171749"]];
        Assert.Equal(2006, series.Year);
        Assert.Empty(series.Genres);

        var noYear = data.ItemInfo[data.Items["140956"]];
        Assert.Equal("Ready Player One", noYear.Title);
        Assert.Null(noYear.Year);
    }

    [Fact]
    public void LatestSmallNeedsNeitherTagsNorLinks()
    {
        using var folder = new TempFolder();
        MovieLensFixtures.WriteLatestSmall(folder, withTags: false, withLinks: false);

        var data = MovieLensLoader.LoadLatestSmall(folder.Path);

        Assert.Equal(4, data.Interactions.Length);
        Assert.All(data.ItemInfo.Values, info => Assert.Empty(info.Tags));
        Assert.All(data.ItemInfo.Values, info => Assert.Null(info.ImdbId));
    }

    [Fact]
    public void Ml100KDecodesLatin1TitlesAndGenreFlags()
    {
        using var folder = new TempFolder();
        MovieLensFixtures.Write100K(folder);

        var data = MovieLensLoader.Load100K(folder.Path);

        Assert.Equal(["196", "186"], data.Users.ExternalIds);
        Assert.Equal(["242", "302", "1322", "267", "1682"], data.Items.ExternalIds);
        Assert.Equal(new Interaction(0, 2, 5f, 881251949), data.Interactions[2]);

        var cafe = data.ItemInfo[data.Items["1322"]];
        Assert.Equal("Metisse (Café au Lait) (1993)", cafe.Title);
        Assert.Equal(1993, cafe.Year);
        Assert.Equal(["Comedy"], cafe.Genres);
        Assert.Equal(["Crime", "Film-Noir", "Mystery", "Thriller"], data.ItemInfo[data.Items["302"]].Genres);
        // The genre flag "unknown" carries no information, like "(no genres listed)".
        Assert.Empty(data.ItemInfo[data.Items["267"]].Genres);
        Assert.Null(data.ItemInfo[data.Items["267"]].Year);
        // Without a year in the title, the release date supplies it.
        Assert.Equal(1996, data.ItemInfo[data.Items["1682"]].Year);
    }

    [Fact]
    public void Ml100KFallsBackToTheStandardGenreList()
    {
        using var folder = new TempFolder();
        MovieLensFixtures.Write100K(folder, withGenreFile: false);

        var data = MovieLensLoader.Load100K(folder.Path);

        Assert.Equal(["Crime", "Film-Noir", "Mystery", "Thriller"], data.ItemInfo[data.Items["302"]].Genres);
        Assert.Equal(19, MovieLensLoader.Genres100K.Count);
    }

    [Fact]
    public void Ml1MReadsDoubleColonFilesInLatin1()
    {
        using var folder = new TempFolder();
        MovieLensFixtures.Write1M(folder);

        var data = MovieLensLoader.Load1M(folder.Path);

        Assert.Equal(["1", "2"], data.Users.ExternalIds);
        Assert.Equal(["1193", "661"], data.Items.ExternalIds.Take(2));
        Assert.Equal(10, data.ItemCount);
        Assert.Equal(3, data.Interactions.Length);
        var decline = data.ItemInfo[data.Items["3679"]];
        Assert.Equal("Décline of Western Civilization, The (1981)", decline.Title);
        Assert.Equal(1981, decline.Year);
        Assert.Equal(["Animation", "Children's", "Musical"], data.ItemInfo[data.Items["661"]].Genres);
    }

    [Theory]
    [InlineData("Toy Story (1995)", 1995)]
    [InlineData("From Dusk Till Dawn 2: Texas Blood Money (1999) ", 1999)]
    [InlineData("Death Note: Desu nôto (2006–2007)", 2006)]
    [InlineData("Metisse (Café au Lait) (1993)", 1993)]
    [InlineData("Babylon 5", null)]
    [InlineData("1984 (Nineteen Eighty-Four)", null)]
    public void ParsesTheTrailingYear(string title, int? year) => Assert.Equal(year, MovieLensLoader.ParseYear(title));
}
