using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests.Data;

public class DatasetLoaderTests
{
    [Fact]
    public void DetectsEachMovieLensRelease()
    {
        using var latest = new TempFolder();
        using var ml100k = new TempFolder();
        using var ml1m = new TempFolder();
        MovieLensFixtures.WriteLatestSmall(latest);
        MovieLensFixtures.Write100K(ml100k);
        MovieLensFixtures.Write1M(ml1m);

        Assert.Equal("ml-latest-small", DatasetLoader.DetectMovieLens(latest.Path));
        Assert.Equal("ml-100k", DatasetLoader.DetectMovieLens(ml100k.Path));
        Assert.Equal("ml-1m", DatasetLoader.DetectMovieLens(ml1m.Path));
        Assert.Equal(5, DatasetLoader.Load(latest.Path, "movielens").ItemCount);
        Assert.Equal(5, DatasetLoader.Load(ml100k.Path).ItemCount);
        Assert.Equal(10, DatasetLoader.Load(ml1m.Path, "ml-1m").ItemCount);
    }

    [Fact]
    public void AFileInsideAMovieLensFolderLoadsTheFolder()
    {
        using var folder = new TempFolder();
        MovieLensFixtures.Write100K(folder);

        var data = DatasetLoader.Load(Path.Combine(folder.Path, "u.data"));

        Assert.Equal("Metisse (Café au Lait) (1993)", data.ItemInfo[data.Items["1322"]].Title);
    }

    [Fact]
    public void CsvFormatReadsAFileOrAFoldersRatingsCsv()
    {
        using var folder = new TempFolder();
        MovieLensFixtures.WriteLatestSmall(folder);

        var fromFolder = DatasetLoader.Load(folder.Path, "csv");
        var fromFile = DatasetLoader.Load(Path.Combine(folder.Path, "ratings.csv"), "csv");

        // As plain CSV, ratings.csv gives the interactions but no catalogue.
        Assert.Equal(3, fromFolder.ItemCount);
        Assert.Empty(fromFolder.ItemInfo);
        Assert.Equal(fromFolder.Interactions, fromFile.Interactions);
    }

    [Fact]
    public void AFolderWithoutMovieLensFilesListsWhatWasLookedFor()
    {
        using var folder = new TempFolder();
        folder.WriteLf("notes.txt", "nothing here");

        var error = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(folder.Path, "movielens"));

        Assert.Null(error.Line);
        Assert.Contains("ratings.csv + movies.csv", error.Message, StringComparison.Ordinal);
        Assert.Contains("u.data", error.Message, StringComparison.Ordinal);
        Assert.Contains("ratings.dat", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RejectsUnknownFormatsAndMissingPaths()
    {
        using var folder = new TempFolder();
        var missing = Path.Combine(folder.Path, "absent");

        var format = Assert.Throws<ArgumentException>(() => DatasetLoader.Load(folder.Path, "parquet"));
        Assert.Contains("ml-100k", format.Message, StringComparison.Ordinal);
        var path = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(missing));
        Assert.Equal(missing, path.FilePath);
    }
}
