using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests.Data;

public class PlainCsvLoaderTests
{
    [Fact]
    public void ReadsAHeaderedFileByColumnName()
    {
        using var folder = new TempFolder();
        var path = folder.WriteCrlf("events.csv", "timestamp,item,extra,user,rating", "100,i9,x,u1,4.5", "200,i3,y,u2,2");

        var data = PlainCsvLoader.Load(path);

        Assert.Equal("events", data.Name);
        Assert.Equal(["u1", "u2"], data.Users.ExternalIds);
        Assert.Equal(["i9", "i3"], data.Items.ExternalIds);
        Assert.Equal([new Interaction(0, 0, 4.5f, 100), new Interaction(1, 1, 2f, 200)], data.Interactions);
    }

    [Fact]
    public void HeaderlessTwoColumnsAreImplicitEventsAtTimeZero()
    {
        using var folder = new TempFolder();
        var path = folder.WriteLf("clicks.csv", " 10 , 20", "11,20", "10,21");

        var data = PlainCsvLoader.Load(path);

        Assert.Equal(["10", "11"], data.Users.ExternalIds);
        Assert.Equal([new Interaction(0, 0, 1f, 0), new Interaction(1, 0, 1f, 0), new Interaction(0, 1, 1f, 0)], data.Interactions);
    }

    [Fact]
    public void AcceptsIsoDatesAndOtherSeparators()
    {
        using var folder = new TempFolder();
        var path = folder.WriteLf("r.csv", "user;item;rating;timestamp", "a;b;3;2018-09-24T12:00:00Z", "a;c;2,5;1000");

        // A comma decimal is not a number here: the loader reads numbers in the invariant culture only.
        var error = Assert.Throws<DataFormatException>(() => PlainCsvLoader.Load(path, new PlainCsvOptions { Separator = ';' }));
        Assert.Equal(3, error.Line);
        Assert.Equal("rating", error.Field);

        folder.WriteLf("r.csv", "user;item;rating;timestamp", "a;b;3;2018-09-24T12:00:00Z", "a;c;2.5;1000");
        var data = PlainCsvLoader.Load(path, new PlainCsvOptions { Separator = ';' });
        Assert.Equal(new DateTimeOffset(2018, 9, 24, 12, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(), data.Interactions[0].Timestamp);
        Assert.Equal(2.5f, data.Interactions[1].Rating);
    }

    [Fact]
    public void EnforcesAConfiguredRatingRange()
    {
        using var folder = new TempFolder();
        var path = folder.WriteLf("r.csv", "1,2,5", "1,3,6");

        Assert.Equal(2, PlainCsvLoader.Load(path).Interactions.Length);
        var error = Assert.Throws<DataFormatException>(() => PlainCsvLoader.Load(path, new PlainCsvOptions { MinRating = 1, MaxRating = 5 }));
        Assert.Equal("r.csv:2: field 'rating': '6' is out of range [1, 5]", error.Message);
    }
}
