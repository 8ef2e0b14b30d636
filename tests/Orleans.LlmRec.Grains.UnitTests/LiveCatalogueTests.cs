using System.Numerics.Tensors;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Llm.Reranking;

namespace Orleans.LlmRec.Grains.UnitTests;

public class LiveCatalogueTests
{
    private readonly InMemoryCatalogueLog _log = new();

    /// <summary>A silo: its own catalogue and model over the shared log.</summary>
    private (LiveCatalogue Live, SiloModel Serving) Silo()
    {
        var catalogue = TestWorld.Catalogue();
        var model = TestWorld.Served();
        var serving = new SiloModel(catalogue, model, new FakeScorer(catalogue, model));
        return (new LiveCatalogue(serving, _log, new TagItemVectors(serving), TimeProvider.System, NullLogger<LiveCatalogue>.Instance), serving);
    }

    private static ItemPublication Item(string title, params string[] tags) => new() { Title = title, Tags = tags };

    [Fact]
    public async Task New_items_get_the_same_dense_indexes_after_the_trained_ones_on_every_silo()
    {
        var (a, _) = Silo();
        var (b, _) = Silo();
        Assert.Equal(CatalogueWriteStatus.Applied, await a.PutAsync("new-1", Item("One", "Cluster1")));
        Assert.Equal(CatalogueWriteStatus.Applied, await b.PutAsync("new-2", Item("Two", "Cluster2")));
        Assert.Equal(CatalogueWriteStatus.Applied, await a.PutAsync("new-3", Item("Three")));
        Assert.Equal(0, await b.CatchUpAsync() - 1);
        await a.CatchUpAsync();

        foreach (var silo in new[] { a, b })
        {
            Assert.True(silo.Catalogue.TryGetIndex("new-1", out var one));
            Assert.True(silo.Catalogue.TryGetIndex("new-2", out var two));
            Assert.True(silo.Catalogue.TryGetIndex("new-3", out var three));
            Assert.Equal([40, 41, 42], new[] { one, two, three });
            Assert.Equal("new-2", silo.Catalogue.ItemIdOf(41));
            Assert.Equal("Two", silo.Catalogue.TitleOf(41));
            Assert.Equal(43, silo.Catalogue.TotalCount);
            Assert.Equal(40, silo.Catalogue.Count);
        }
        Assert.Equal(a.Version, b.Version);
    }

    [Fact]
    public async Task The_same_put_twice_is_one_state_and_one_log_entry()
    {
        var (a, _) = Silo();
        Assert.Equal(CatalogueWriteStatus.Applied, await a.PutAsync("n", Item("Title", "x")));
        var generation = a.Catalogue.Generation;
        var version = a.Version;
        Assert.Equal(CatalogueWriteStatus.Unchanged, await a.PutAsync("n", Item("Title", "x")));
        Assert.Equal((generation, version), (a.Catalogue.Generation, a.Version));
        Assert.Single(await _log.ReadAfterAsync(null, 10));

        Assert.Equal(CatalogueWriteStatus.Applied, await a.PutAsync("n", Item("New title", "x")));
        Assert.Equal("New title", a.Catalogue.TitleOf("n"));
        Assert.Equal(41, a.Catalogue.TotalCount);
    }

    [Fact]
    public async Task A_retired_item_is_hidden_for_good_and_retiring_again_changes_nothing()
    {
        var (a, _) = Silo();
        await a.PutAsync("n", Item("Title"));
        Assert.Equal(CatalogueWriteStatus.Applied, await a.RetireAsync("n"));
        Assert.Equal(CatalogueWriteStatus.Applied, await a.RetireAsync("5"));
        Assert.Equal(CatalogueWriteStatus.Unchanged, await a.RetireAsync("n"));
        Assert.Equal(CatalogueWriteStatus.Unknown, await a.RetireAsync("never"));
        Assert.Equal(CatalogueWriteStatus.Retired, await a.PutAsync("n", Item("Again")));
        Assert.Equal([4, 40], a.Additions.HiddenIndexes);
        // Still known, so events on it are accepted and histories keep it.
        Assert.True(a.Catalogue.Contains("n"));
        var view = CatalogueViews.Describe(a, "5")!;
        Assert.True(view.Retired);
        Assert.True(view.Trained);

        var history = new UserHistory();
        history.Apply([TestWorld.Event("e", "1")]);
        Assert.Equal([0, 4, 40], history.ExcludedIndexes(a.Catalogue));
    }

    [Fact]
    public async Task An_unavailable_item_is_hidden_until_published_available_again()
    {
        var (a, _) = Silo();
        await a.PutAsync("n", Item("Title") with { Available = false });
        Assert.Equal([40], a.Additions.HiddenIndexes);
        await a.PutAsync("n", Item("Title"));
        Assert.Empty(a.Additions.HiddenIndexes);
    }

    [Fact]
    public async Task Tag_vectors_are_the_mean_of_trained_items_sharing_a_tag_case_insensitively_else_of_all()
    {
        var (_, serving) = Silo();
        var tags = new TagItemVectors(serving);
        var cluster2 = await tags.VectorForAsync(new ItemDescription("n", "t", null, ["cluster2"]), serving.Current, default);
        Assert.Equal([0f, 0f, 1f, 0f, 0f], cluster2.Vector);
        var none = await tags.VectorForAsync(new ItemDescription("n", "t", null, ["no such tag"]), serving.Current, default);
        Assert.All(none.Vector, v => Assert.Equal(0.2f, v, 1e-6f));
        var two = await tags.VectorForAsync(new ItemDescription("n", "t", null, ["Cluster1", "Cluster3"]), serving.Current, default);
        Assert.Equal([0f, 0.5f, 0f, 0.5f, 0f], two.Vector);
    }

    [Fact]
    public void Clicks_move_a_new_item_toward_its_clickers()
    {
        var table = new NewItemVectorTable("v1", trainedCount: 10, dimension: 3);
        table.Set(10, new NewItemVector([1f, 0f, 0f], 0f), DateTimeOffset.UnixEpoch);
        float[] user = [0f, 2f, 0f];
        var before = TensorPrimitives.CosineSimilarity(table.Rows.Vector(0), user);
        for (var i = 0; i < 5; i++) table.RecordPositive(10, user);
        var after = TensorPrimitives.CosineSimilarity(table.Rows.Vector(0), user);
        Assert.True(after > before + 0.5f, $"cosine {before} → {after}");
        Assert.Equal(5, table.ClicksOf(10));
        // Half mapped, half the clickers' direction at the mapped length, after PriorClicks clicks.
        Assert.Equal([0.5f, 0.5f, 0f], table.Rows.Vector(0).ToArray());
    }

    [Fact]
    public async Task A_new_item_enters_a_matching_feed_and_a_fresh_one_takes_the_exploration_slot()
    {
        var (live, serving) = Silo();
        // Not fresh: it earns its place by its score alone.
        await live.PutAsync("new-c2", Item("Cluster two news", "Cluster2") with { PublishedAt = DateTimeOffset.UtcNow.AddDays(-10) });
        await live.PutAsync("new-c0", Item("Cluster zero news", "Cluster0") with { PublishedAt = DateTimeOffset.UtcNow });
        await live.RetireAsync("13");
        Assert.NotNull(live.VectorsFor(serving.Current));
        var options = new FeedOptions { ScoringBudget = TimeSpan.FromSeconds(1), ExplorationShare = 0.1 };
        var pipeline = new FeedPipeline(serving.Catalogue, serving.Scorer, new RerankStage(new FixedStatus(false), new TfIdfReranker(), new LlmOptions()),
            options, TimeProvider.System, NullLogger<FeedPipeline>.Instance, new NewItemScoring(live, Options.Create(options), TimeProvider.System));
        var state = new UserState();
        state.Apply([TestWorld.Event("e1", "3")]);
        var input = new FeedContext
        {
            UserId = "u",
            Model = serving.Current,
            Embedding = state.History.EmbeddingFor(serving.Current, serving.Catalogue),
            Excluded = state.History.ExcludedIndexes(serving.Catalogue),
            Depth = 10,
        };

        var outcome = await pipeline.BuildAsync(input);
        var ids = outcome.Feed.Items.Select(i => i.ItemId).ToList();
        Assert.Contains("new-c2", ids.Take(8));
        Assert.Equal("new-c0", ids[9]);
        Assert.DoesNotContain("13", ids);
        Assert.DoesNotContain("3", ids);
        // The scorer was asked about trained items only.
        Assert.All(((FakeScorer)serving.Scorer).Requests, r => Assert.All(r.ExcludedItems.ToArray(), i => Assert.True(i < 40)));
    }

    [Fact]
    public void A_cached_feed_of_another_catalogue_generation_does_not_answer()
    {
        var cache = new FeedCache();
        var feed = new RankedFeed { Items = [new RankedFeedItem { ItemId = "1", ModelScore = 1f, Stage = FeedPipeline.ModelStage }], Source = FeedSource.Model, ModelVersion = "v1", GeneratedAt = DateTimeOffset.UnixEpoch };
        cache.Keep(feed, 10, catalogueGeneration: 3);
        var request = new FeedRequest { K = 1 };
        Assert.NotNull(cache.Answering(request, "v1", 3));
        Assert.Null(cache.Answering(request, "v1", 4));
    }
}
