using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.IntegrationTests.Llm;

/// <summary>A silo whose catalogue reads an <c>llmrec augment</c> side file (<c>Catalogue:SideTextPath</c>).</summary>
public sealed class SideTextFixture : LlmFixture
{
    public string SidePath { get; private set; } = "";

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Catalogue:SideTextPath"] = SidePath,
    };

    protected override void PrepareWorld(GenreWorld world)
    {
        SidePath = Path.Combine(world.Root, "triples.side.jsonl");
        var entries = world.Dataset.ItemInfo.Values.SelectMany(i => new[]
        {
            new SideEntry(SideEntryKind.ItemAttributes, i.ExternalId, $"themes: theme-{i.ExternalId}; director: Director {i.ExternalId}", "llm:stub-model"),
            new SideEntry(SideEntryKind.Item, i.ExternalId, $"Plot of {i.ExternalId}.", "import:descriptions.csv"),
        });
        AugmentationSideFile.WriteAsync(SidePath, entries).GetAwaiter().GetResult();
    }
}

[CollectionDefinition(Name)]
public sealed class SideText : ICollectionFixture<SideTextFixture>
{
    public const string Name = "service with a side-text catalogue";
}

[Collection(SideText.Name)]
public sealed class SideTextTests(SideTextFixture fixture)
{
    [Fact]
    public async Task The_re_rank_prompt_shows_each_candidates_llm_written_attributes_and_description_from_the_side_file()
    {
        const string user = "side-text-user";
        await fixture.ClickAsync(user, fixture.ItemWithGenres(2));

        var first = await fixture.Api.GetFeedAsync(user, "k=50");
        await Eventually.Until(() => fixture.Api.GetFeedAsync(user, "k=50"), f => f.Source == FeedSource.Reranked, "the re-ranked feed");

        var call = fixture.Llm.RerankCalls.Last();
        Assert.Equal(50, call.Candidates.Count);
        Assert.Contains(first.Items[0].ItemId, call.Candidates.Select(c => c.ItemId));
        Assert.All(call.Candidates, c => Assert.Contains($"description: themes: theme-{c.ItemId}; director: Director {c.ItemId}. Plot of {c.ItemId}.", c.Text, StringComparison.Ordinal));
    }
}
