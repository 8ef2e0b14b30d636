using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests.Data;

/// <summary>What <c>--format auto</c> (the default) makes of a path.</summary>
public class FormatDetectionTests
{
    [Fact]
    public void MovieLensFoldersAndTheirRatingsFilesAreTheirRelease()
    {
        using var folder = new TempFolder();
        folder.WriteLf("ratings.csv", "userId,movieId,rating,timestamp", "1,1,4.0,964982703");
        folder.WriteLf("movies.csv", "movieId,title,genres", "1,Toy Story (1995),Comedy");

        Assert.Equal("ml-latest-small", DatasetLoader.Detect(folder.Path));
        Assert.Equal("ml-latest-small", DatasetLoader.Detect(Path.Combine(folder.Path, "ratings.csv")));
    }

    [Fact]
    public void Ml100KFolderIsDetected()
    {
        using var folder = new TempFolder();
        folder.WriteLf("u.data", "196\t242\t3\t881250949");
        Assert.Equal("ml-100k", DatasetLoader.Detect(folder.Path));
        Assert.Equal("ml-100k", DatasetLoader.Detect(Path.Combine(folder.Path, "u.data")));
    }

    [Fact]
    public void FilesAreTheLineFormatOrCsvByContent()
    {
        using var folder = new TempFolder();
        Assert.Equal("user-items", DatasetLoader.Detect(folder.WriteLf("train.txt", "0 1 2 3", "1 4")));
        Assert.Equal("user-items", DatasetLoader.Detect(folder.WriteLf("tabs.txt", "", "0\t1\t2")));
        Assert.Equal("csv", DatasetLoader.Detect(folder.WriteLf("events.csv", "user,item", "u1,i1")));
        Assert.Equal("csv", DatasetLoader.Detect(folder.WriteLf("headerless.csv", "1,2,4.5,100")));
        // Text ids are not LightGCN's: such a file is read as CSV, which then says what is wrong with it.
        Assert.Equal("csv", DatasetLoader.Detect(folder.WriteLf("words.txt", "alice bob")));
    }

    [Fact]
    public void AFolderWithOnlyRatingsCsvIsCsvAndOthersAreRefusedWithAHint()
    {
        using var csv = new TempFolder();
        csv.WriteLf("ratings.csv", "user,item", "1,2");
        Assert.Equal("csv", DatasetLoader.Detect(csv.Path));

        using var lightGcn = new TempFolder();
        lightGcn.WriteLf("train.txt", "0 1");
        var error = Assert.Throws<DataFormatException>(() => DatasetLoader.Detect(lightGcn.Path));
        Assert.Contains("--train", error.Message);
        Assert.Throws<DataFormatException>(() => DatasetLoader.Detect(Path.Combine(lightGcn.Path, "missing")));
    }

    [Fact]
    public void AutoLoadsEachKind()
    {
        using var folder = new TempFolder();
        var lines = DatasetLoader.Load(folder.WriteLf("train.txt", "0 1 2", "1 2"));
        var csv = DatasetLoader.Load(folder.WriteLf("events.csv", "user,item,rating,timestamp", "u,i,1,5"));

        Assert.Equal(3, lines.Interactions.Length);
        Assert.Equal("train", lines.Name);
        Assert.Single(csv.Interactions);
        Assert.False(DatasetStatistics.Compute(lines).HasTimestamps);
        Assert.True(DatasetStatistics.Compute(csv).HasTimestamps);
    }
}
