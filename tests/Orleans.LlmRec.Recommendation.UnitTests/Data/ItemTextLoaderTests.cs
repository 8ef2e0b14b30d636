using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests.Data;

public class ItemTextLoaderTests
{
    [Fact]
    public void AttachesDescriptionsToKnownItemsOnly()
    {
        using var folder = new TempFolder();
        MovieLensFixtures.WriteLatestSmall(folder);
        var path = folder.WriteLf("descriptions.csv",
            "movieId,description",
            "3,\"Two old men, \"\"grumpy\"\",\nfeud.\"",
            "11,",
            "29,A scientist steals dreams.",
            "4242,Not in the data set.");
        var data = MovieLensLoader.LoadLatestSmall(folder.Path);

        var descriptions = ItemTextLoader.ReadDescriptions(path);
        var described = ItemTextLoader.WithDescriptions(data, descriptions);

        Assert.Equal(["29", "3", "4242"], descriptions.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("Two old men, \"grumpy\",\nfeud.", described.ItemInfo[data.Items["3"]].Description);
        Assert.Equal("A scientist steals dreams.", described.ItemInfo[data.Items["29"]].Description);
        Assert.Null(described.ItemInfo[data.Items["11"]].Description);
        // Everything else about the items is kept.
        Assert.Equal(data.ItemInfo[data.Items["29"]].Tags, described.ItemInfo[data.Items["29"]].Tags);
        Assert.Same(data.Interactions, described.Interactions);
        Assert.Null(data.ItemInfo[data.Items["29"]].Description);
    }

    [Fact]
    public void ReadsPreferencesByUser()
    {
        using var folder = new TempFolder();
        var path = folder.WriteLf("preferences.csv",
            "userId,preferences,date_range,prioritize_ratings,prioritize_popular",
            "1,\"I love intricate plots, dark themes.\",\"(1970, 2000)\",True,False",
            "2,\"I enjoy humor.\",\"(1990, 2010)\",False,True");

        var preferences = ItemTextLoader.ReadPreferences(path);

        Assert.Equal(2, preferences.Count);
        Assert.Equal("I love intricate plots, dark themes.", preferences["1"]);
        Assert.Equal("I enjoy humor.", preferences["2"]);
    }
}
