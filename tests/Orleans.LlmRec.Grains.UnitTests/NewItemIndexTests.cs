using System.Numerics.Tensors;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Llm.Reranking;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Scoring.Retrieval;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>
/// Items published after training go into the model's approximate item index in place (a small index forced on with a
/// low <see cref="FeedOptions.ApproximateAboveItems"/>): found by its search, scored with their own vector and bias,
/// moved when clicks move them, and gone once retired.
/// </summary>
public sealed class NewItemIndexTests : IAsyncLifetime
{
    private const int Items = 600;
    private const int Dimension = 8;
    private readonly ItemCatalogue _catalogue = TestWorld.Catalogue(TestWorld.Dataset(itemCount: Items));
    private readonly PlacedVectors _placement = new();
    private readonly float[] _user = Axis(0, 3f);
    private ModelSnapshot _model = null!;
    private LiveCatalogue _live = null!;
    private FeedPipeline _pipeline = null!;

    public async Task InitializeAsync()
    {
        var random = new Random(11);
        var model = new EmbeddingModel(ModelKind.Bpr, 30, Items, Dimension) { GlobalBias = 0.25f };
        for (var i = 0; i < model.ItemVectors.Length; i++) model.ItemVectors[i] = (float)(random.NextDouble() - 0.5);
        for (var i = 0; i < Items; i++) model.ItemBias[i] = (float)(random.NextDouble() - 0.5) * 0.2f;
        _model = new ModelSnapshot(model, "v1");
        // 32-bit storage: these users are longer than the items, and the test checks exact placements of outliers
        // among the graph's finds, which 8-bit storage only approximates for long users (see ItemIndexStorageTests).
        await _model.ItemIndex.StartBuilding(new ItemIndexOptions { Quantization = ItemIndexQuantization.Float32 }, NullLogger.Instance);
        var serving = new SiloModel(_catalogue, _model, new FakeScorer(_catalogue, _model));
        _live = new LiveCatalogue(serving, new InMemoryCatalogueLog(), _placement, TimeProvider.System, NullLogger<LiveCatalogue>.Instance);
        var options = new FeedOptions { ScoringBudget = TimeSpan.FromSeconds(10), ApproximateAboveItems = 100, CacheDepth = 20, ExplorationShare = 0.1 };
        _pipeline = new FeedPipeline(_catalogue, serving.Scorer, new RerankStage(new FixedStatus(false), new TfIdfReranker(), new LlmOptions()),
            options, TimeProvider.System, NullLogger<FeedPipeline>.Instance, new NewItemScoring(_live, Options.Create(options), TimeProvider.System));
    }

    public Task DisposeAsync()
    {
        _model.ItemIndex.Dispose();
        return Task.CompletedTask;
    }

    private ItemVectorIndex Index => _model.ItemIndex.Ready!;

    private static float[] Axis(int axis, float length)
    {
        var vector = new float[Dimension];
        vector[axis] = length;
        return vector;
    }

    private async Task<int> PublishAsync(string itemId, float[] vector, float bias, DateTimeOffset? publishedAt = null)
    {
        _placement.Place(itemId, vector, bias);
        Assert.Equal(CatalogueWriteStatus.Applied, await _live.PutAsync(itemId, new ItemPublication { Title = itemId, PublishedAt = publishedAt ?? DateTimeOffset.UtcNow }));
        Assert.True(_catalogue.TryGetIndex(itemId, out var index));
        return index;
    }

    private FeedContext User(float[] vector) => new()
    {
        UserId = "u",
        Model = _model,
        Embedding = new FoldedEmbedding { Vector = vector, Bias = 0.1f, ModelVersion = _model.Version, UsedInteractions = 3 },
        Excluded = new UserState().History.ExcludedIndexes(_catalogue),
        Depth = 20,
    };

    [Fact]
    public async Task A_published_item_is_found_by_the_index_and_reaches_the_feed_with_its_own_score()
    {
        // Not fresh, so only its score (not an exploration slot) can put it in the feed.
        var item = await PublishAsync("near", Axis(0, 2f), bias: 0.5f, DateTimeOffset.UtcNow.AddDays(-30));
        Assert.Equal(Items, item);
        Assert.True(Index.Contains(item));
        Assert.Equal(item, Index.Search(_user, 5)[0]);

        var input = User(_user);
        var candidates = _pipeline.SelectCandidates(input);
        Assert.True(candidates.FromIndex);
        Assert.Contains(item, candidates.NewItems!);
        Assert.DoesNotContain(item, candidates.Candidates!); // the ONNX graph knows trained items only

        var outcome = await _pipeline.BuildAsync(input);
        Assert.Equal(item, outcome.Scored[0].Item);
        // The model's own formula with the item's vector and bias: global + user bias + item bias + dot.
        Assert.Equal(0.25f + 0.1f + 0.5f + 6f, outcome.Scored[0].ModelScore, 1e-5f);
        Assert.Equal("near", outcome.Feed.Items[0].ItemId);
    }

    [Fact]
    public async Task A_retired_item_leaves_the_index_and_never_comes_back_with_late_clicks()
    {
        var item = await PublishAsync("gone", Axis(0, 2f), bias: 0.5f);
        var trainedBest = Enumerable.Range(0, Items).MaxBy(i => TensorPrimitives.Dot<float>(_user, _model.Model.ItemVector(i)) + _model.Model.ItemBias[i]);
        Assert.True(Index.Contains(trainedBest));

        Assert.Equal(CatalogueWriteStatus.Applied, await _live.RetireAsync("gone"));
        Assert.Equal(CatalogueWriteStatus.Applied, await _live.RetireAsync(_catalogue.ItemIdOf(trainedBest)));
        for (var i = 0; i < 8; i++) _live.RecordPositive(item, _user, _model);

        Assert.False(Index.Contains(item));
        Assert.False(Index.Contains(trainedBest));
        Assert.DoesNotContain(item, Index.Search(_user, 50));
        var input = User(_user);
        Assert.DoesNotContain(item, _pipeline.SelectCandidates(input).NewItems!);
        var feed = await _pipeline.BuildAsync(input);
        Assert.DoesNotContain(feed.Feed.Items, i => i.ItemId is "gone");
        Assert.DoesNotContain(feed.Scored, s => s.Item == trainedBest);
    }

    [Fact]
    public async Task A_vector_moved_by_clicks_is_what_the_index_holds()
    {
        var item = await PublishAsync("moving", Axis(0, 2f), bias: 0f);
        var clicker = Axis(1, 3f);
        // Placed along axis 0: a user along axis 1 scores it 0, below many trained items.
        Assert.NotEqual(item, Index.Search(clicker, 1)[0]);

        for (var i = 0; i < 8; i++) _live.RecordPositive(item, clicker, _model);

        // 8 clicks against 5 prior ones: 8/13 of the way to the clickers' direction, at the placed length.
        var moved = _live.VectorsFor(_model)!.Rows.Vector(0).ToArray();
        Assert.Equal(2f * 8 / 13, moved[1], 1e-5f);
        Assert.Equal(item, Index.Search(clicker, 1)[0]);
        var candidates = _pipeline.SelectCandidates(User(clicker));
        Assert.Contains(item, candidates.NewItems!);
        var outcome = await _pipeline.BuildAsync(User(clicker));
        Assert.Equal(item, outcome.Scored[0].Item);
        Assert.Equal(0.25f + 0.1f + TensorPrimitives.Dot<float>(clicker, moved), outcome.Scored[0].ModelScore, 1e-5f);
    }

    [Fact]
    public void Clicks_rewrite_the_index_at_powers_of_two_then_every_64th()
    {
        Assert.Equal([1, 2, 4, 8, 16, 32, 64, 128, 192], Enumerable.Range(0, 200).Where(NewItemIndexing.ShouldRefresh));
    }

    [Fact]
    public async Task Below_the_threshold_nothing_is_queued_for_an_index_that_is_never_built()
    {
        var unbuilt = new ModelSnapshot(_model.Model, "v2");
        Assert.False(NewItemIndexing.InUse(unbuilt.ItemIndex));
        Assert.True(NewItemIndexing.InUse(_model.ItemIndex));
        await PublishAsync("plain", Axis(2, 1f), bias: 0f);
        // The exact path scores every new item: no candidates from an index.
        Assert.Null(new FeedPipeline(_catalogue, new FakeScorer(_catalogue, _model), new RerankStage(new FixedStatus(false), new TfIdfReranker(), new LlmOptions()),
            new FeedOptions { ApproximateAboveItems = Items + 10 }, TimeProvider.System, NullLogger<FeedPipeline>.Instance).SelectCandidates(User(_user)).NewItems);
    }

    /// <summary>Places each item where the test says.</summary>
    private sealed class PlacedVectors : INewItemVectors
    {
        private readonly Dictionary<string, NewItemVector> _placed = [];

        public string Name => "placed";

        public void Place(string itemId, float[] vector, float bias) => _placed[itemId] = new NewItemVector(vector, bias);

        public ValueTask<NewItemVector> VectorForAsync(ItemDescription item, ModelSnapshot model, CancellationToken cancellationToken) =>
            ValueTask.FromResult(_placed[item.ItemId]);
    }
}
