using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests.Data;

public sealed class AugmentationSideFileTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "llmrec-side-" + Guid.NewGuid().ToString("N") + ".jsonl");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public async Task Entries_read_back_and_item_text_puts_attributes_before_the_description()
    {
        SideEntry[] entries =
        [
            new(SideEntryKind.Item, "1", "A crew meets a monster.", "import:descriptions.csv"),
            new(SideEntryKind.ItemAttributes, "1", "Sci-Fi, horror", "llm:m"),
            new(SideEntryKind.ItemAttributes, "2", "Romance", "llm:m"),
            new(SideEntryKind.User, "7", "old profile", "llm:m"),
            new(SideEntryKind.User, "7", "likes space", "llm:m"),
        ];

        await AugmentationSideFile.WriteAsync(_path, entries);
        var read = AugmentationSideFile.ReadAll(_path);

        Assert.Equal(entries, read);
        Assert.Equal(new Dictionary<string, string> { ["1"] = "Sci-Fi, horror. A crew meets a monster.", ["2"] = "Romance" }, AugmentationSideFile.ItemTexts(read));
        Assert.Equal("likes space", AugmentationSideFile.TextsOf(read, SideEntryKind.User)["7"]);
    }

    [Fact]
    public void A_line_that_is_not_an_entry_is_refused_naming_the_line()
    {
        File.WriteAllLines(_path, ["{\"kind\":\"user\",\"id\":\"1\",\"text\":\"t\",\"source\":\"s\"}", "{\"kind\":\"user\"}"]);

        var error = Assert.Throws<InvalidDataException>(() => AugmentationSideFile.ReadAll(_path));

        Assert.Contains(":2:", error.Message, StringComparison.Ordinal);
    }
}
