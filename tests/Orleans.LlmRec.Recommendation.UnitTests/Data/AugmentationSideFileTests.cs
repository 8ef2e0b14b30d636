using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests.Data;

public sealed class AugmentationSideFileTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "llmrec-side-" + Guid.NewGuid().ToString("N") + ".jsonl");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public async Task The_side_file_keeps_item_attributes_apart_from_descriptions_and_prompts_show_attributes_first()
    {
        SideEntry[] entries =
        [
            new(SideEntryKind.Item, "10", "A shape-shifting alien.", "import:descriptions.csv"),
            new(SideEntryKind.ItemAttributes, "10", "genres: Horror; director: John Carpenter", "llm:stub-model"),
            new(SideEntryKind.ItemAttributes, "11", "genres: Romance", "llm:stub-model"),
            new(SideEntryKind.Item, "12", "A hunter in the jungle.", "import:descriptions.csv"),
            new(SideEntryKind.User, "u1", "Likes horror.", "llm:stub-model"),
        ];
        await AugmentationSideFile.WriteAsync(_path, entries);

        var read = await AugmentationSideFile.ReadAllAsync(_path);

        Assert.Equal(entries, read);
        Assert.Contains("\"kind\":\"itemAttributes\"", (await File.ReadAllLinesAsync(_path))[1], StringComparison.Ordinal);
        var texts = AugmentationSideFile.ItemTexts(read);
        Assert.Equal("genres: Horror; director: John Carpenter. A shape-shifting alien.", texts["10"]);
        Assert.Equal("genres: Romance", texts["11"]);
        Assert.Equal("A hunter in the jungle.", texts["12"]);
        Assert.False(texts.ContainsKey("u1"));
    }

    [Fact]
    public async Task A_later_entry_for_the_same_kind_and_id_replaces_an_earlier_one()
    {
        await AugmentationSideFile.WriteAsync(_path, [new(SideEntryKind.User, "7", "old profile", "llm:m"), new(SideEntryKind.User, "7", "likes space", "llm:m")]);

        Assert.Equal("likes space", AugmentationSideFile.TextsOf(AugmentationSideFile.ReadAll(_path), SideEntryKind.User)["7"]);
    }

    [Fact]
    public void A_line_that_is_not_an_entry_is_refused_naming_the_line()
    {
        File.WriteAllLines(_path, ["{\"kind\":\"user\",\"id\":\"1\",\"text\":\"t\",\"source\":\"s\"}", "{\"kind\":\"user\"}"]);

        var error = Assert.Throws<InvalidDataException>(() => AugmentationSideFile.ReadAll(_path));

        Assert.Contains(":2:", error.Message, StringComparison.Ordinal);
    }
}
