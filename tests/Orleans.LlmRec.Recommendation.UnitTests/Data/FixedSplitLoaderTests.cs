using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests.Data;

/// <summary>The train/test readers of <c>llmrec eval --train --test</c>: LightGCN's line format, plain CSV, bad files.</summary>
public class FixedSplitLoaderTests
{
    [Fact]
    public void ReadsLightGcnLineFormatWithSpacesAndTabs()
    {
        using var folder = new TempFolder();
        var train = folder.WriteLf("train.txt", "0 10 11 12", "1\t11  13", "", "2");
        var test = folder.WriteLf("test.txt", "0 13", "1 10 14");

        var (dataset, split, skipped) = FixedSplitLoader.Load(train, test);

        Assert.Equal(["0", "1"], dataset.Users.ExternalIds);
        // Train items first, then the item only the test file has: it counts as relevant, it was never trained.
        Assert.Equal(["10", "11", "12", "13", "14"], dataset.Items.ExternalIds);
        Assert.Equal(5, split.Train.Length);
        Assert.Equal([new Interaction(0, 3, 1f, 0), new Interaction(1, 0, 1f, 0), new Interaction(1, 4, 1f, 0)], split.Test);
        Assert.Equal(0, skipped);
        Assert.Equal(folder.Path.Split(Path.DirectorySeparatorChar)[^1], dataset.Name);
    }

    [Fact]
    public void ReadsPlainCsvAndSkipsTestUsersWithoutTrainingData()
    {
        using var folder = new TempFolder();
        var train = folder.WriteLf("train.csv", "user,item,rating,timestamp", "a,x,5,100", "b,y,3,200");
        var test = folder.WriteLf("test.csv", "user,item", "a,y", "c,x", "c,y");

        var (dataset, split, skipped) = FixedSplitLoader.Load(train, test);

        Assert.Equal(["a", "b"], dataset.Users.ExternalIds);
        Assert.Equal([new Interaction(0, 1, 1f, 0)], split.Test);
        Assert.Equal(2, skipped);
    }

    [Fact]
    public void EachFileIsDetectedOnItsOwn()
    {
        using var folder = new TempFolder();
        var train = folder.WriteLf("train.txt", "1 5 6", "2 6");
        var test = folder.WriteLf("test.csv", "1,7", "2,5");

        var (_, split, _) = FixedSplitLoader.Load(train, test);

        Assert.Equal(3, split.Train.Length);
        Assert.Equal(2, split.Test.Length);
    }

    [Theory]
    [InlineData("0 1 2\n1 3 x4\n", 2, "item 2", "'x4'")]
    [InlineData("0 1 2\nu1 3\n", 2, "user", "'u1'")]
    [InlineData("0 1 -2\n", 1, "item 2", "'-2'")]
    public void MalformedLineFormatNamesFileLineAndField(string text, int line, string field, string shown)
    {
        using var folder = new TempFolder();
        var train = folder.Write("train.txt", text);
        var test = folder.WriteLf("test.txt", "0 3");

        var error = Assert.Throws<DataFormatException>(() => FixedSplitLoader.Load(train, test, UserItemListLoader.FormatName));

        Assert.Equal(line, error.Line);
        Assert.Equal(field, error.Field);
        Assert.StartsWith($"train.txt:{line}: field '{field}': {shown}", error.Message);
    }

    [Fact]
    public void MalformedTestFileIsNamedToo()
    {
        using var folder = new TempFolder();
        var train = folder.WriteLf("train.txt", "0 1 2", "1 2");
        var test = folder.WriteLf("test.txt", "0 3", "1 4", "1 4.5");

        var error = Assert.Throws<DataFormatException>(() => FixedSplitLoader.Load(train, test));

        Assert.StartsWith("test.txt:3: field 'item 1'", error.Message);
    }

    [Fact]
    public void MalformedCsvNamesLineAndColumn()
    {
        using var folder = new TempFolder();
        var train = folder.WriteLf("train.csv", "user,item,rating", "a,x,5", "b,y,lots");
        var test = folder.WriteLf("test.csv", "user,item", "a,y");

        var error = Assert.Throws<DataFormatException>(() => FixedSplitLoader.Load(train, test));

        Assert.Equal(3, error.Line);
        Assert.Equal("rating", error.Field);
    }

    [Fact]
    public void MissingEmptyOrUselessFilesAreRefused()
    {
        using var folder = new TempFolder();
        var train = folder.WriteLf("train.txt", "0 1 2");
        Assert.Contains("no such file", Assert.Throws<DataFormatException>(() => FixedSplitLoader.Load(train, Path.Combine(folder.Path, "nope.txt"))).Message);
        Assert.Contains("empty", Assert.Throws<DataFormatException>(() => FixedSplitLoader.Load(train, folder.Write("test.txt", ""), UserItemListLoader.FormatName)).Message);
        Assert.Contains("no interactions of users in the training file",
            Assert.Throws<DataFormatException>(() => FixedSplitLoader.Load(train, folder.WriteLf("other.txt", "9 1"))).Message);
    }

    [Fact]
    public void WriterRoundTripsThroughTheLoader()
    {
        using var folder = new TempFolder();
        var data = PowerLawClicks.Generate(new PowerLawClicksOptions { UserCount = 50, ItemCount = 200, InteractionCount = 1_000, Seed = 3 });
        var split = Splits.Stratified(data.Interactions, 0.8, StratifyBy.User, seed: 3);
        var train = Path.Combine(folder.Path, "train.txt");
        var test = Path.Combine(folder.Path, "test.txt");
        InteractionFileWriter.WriteUserItemList(train, data, split.Train);
        InteractionFileWriter.WriteUserItemList(test, data, split.Test);

        var loaded = FixedSplitLoader.Load(train, test);

        Assert.Equal(split.Train.Length, loaded.Split.Train.Length);
        Assert.Equal(split.Test.Length, loaded.Split.Test.Length);
        var original = split.Test.Select(x => (data.Users.GetExternalId(x.User), data.Items.GetExternalId(x.Item))).Order();
        var read = loaded.Split.Test.Select(x => (loaded.Dataset.Users.GetExternalId(x.User), loaded.Dataset.Items.GetExternalId(x.Item))).Order();
        Assert.Equal(original, read);
    }
}
