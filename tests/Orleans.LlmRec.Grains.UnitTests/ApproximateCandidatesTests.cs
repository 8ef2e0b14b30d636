using Microsoft.Extensions.Logging.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Llm.Reranking;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Onnx;
using Orleans.LlmRec.Scoring;
using Orleans.LlmRec.Scoring.Retrieval;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>
/// The candidates stage above <see cref="FeedOptions.ApproximateAboveItems"/>: the model's item index names the
/// candidates, the real ONNX candidates graph scores them, and every score is the model's exact score.
/// </summary>
public sealed class ApproximateCandidatesTests : IAsyncLifetime
{
    private const int Items = 600;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"llmrec-ann-{Guid.NewGuid():N}");
    private readonly ItemCatalogue _catalogue = TestWorld.Catalogue(TestWorld.Dataset(itemCount: Items));
    private ModelSnapshot _model = null!;
    private OnnxScorer _onnx = null!;
    private RecordingScorer _scorer = null!;

    public async Task InitializeAsync()
    {
        var random = new Random(7);
        var dataset = TestWorld.Dataset(itemCount: Items);
        var model = new EmbeddingModel(ModelKind.Bpr, dataset.UserCount, Items, dimension: 8) { GlobalBias = 0.25f };
        for (var i = 0; i < model.ItemVectors.Length; i++) model.ItemVectors[i] = (float)(random.NextDouble() - 0.5);
        for (var i = 0; i < Items; i++) model.ItemBias[i] = (float)(random.NextDouble() - 0.5) * 0.2f;
        var manifest = ModelDirectory.CreateManifest(model, dataset.Users, dataset.Items, dataset.Name, seed: 7, trainingSeconds: 0);
        Directory.CreateDirectory(_folder);
        var export = OnnxExporter.Export(model, manifest, Path.Combine(_folder, "model.onnx"));
        _onnx = OnnxScorer.Load(export.FullCataloguePath);
        _scorer = new RecordingScorer(_onnx);
        _model = new ModelSnapshot(model, manifest.Version);
        await _model.ItemIndex.StartBuilding(new ItemIndexOptions(), NullLogger.Instance);
    }

    public async Task DisposeAsync()
    {
        _model.ItemIndex.Dispose();
        await _onnx.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private FeedPipeline Pipeline(int approximateAbove) =>
        new(_catalogue, _scorer, new RerankStage(new FixedStatus(false), new TfIdfReranker(), new LlmOptions()),
            new FeedOptions { ScoringBudget = TimeSpan.FromSeconds(10), ApproximateAboveItems = approximateAbove, CacheDepth = 20 },
            TimeProvider.System, NullLogger<FeedPipeline>.Instance);

    private FeedContext User()
    {
        var state = new UserState();
        state.Apply([TestWorld.Event("e1", "3"), TestWorld.Event("e2", "50"), TestWorld.Event("e3", "121"),
            TestWorld.Event("e4", "7", Orleans.LlmRec.Abstractions.UserEventType.Dislike)]);
        return new FeedContext
        {
            UserId = "u",
            Model = _model,
            Embedding = state.History.EmbeddingFor(_model, _catalogue),
            Excluded = state.History.ExcludedIndexes(_catalogue),
            Depth = 20,
        };
    }

    private float ExactScore(FeedContext user, int item)
    {
        var scores = new float[Items];
        _model.Model.ScoreAll(user.Embedding!.Vector, user.Embedding.Bias, scores);
        return scores[item];
    }

    [Fact]
    public async Task Above_the_threshold_the_index_names_the_candidates_and_each_is_scored_exactly()
    {
        var user = User();
        var pipeline = Pipeline(approximateAbove: 100);

        var candidates = pipeline.SelectCandidates(user);
        Assert.True(candidates.FromIndex);
        Assert.NotNull(candidates.Candidates);
        // 4 × the pool of 20, plus the 4 exclusions, less the exclusions the index returned.
        Assert.InRange(candidates.Candidates.Length, 80, 84);
        Assert.DoesNotContain(candidates.Candidates, user.IsExcluded);

        var outcome = await pipeline.BuildAsync(user);
        Assert.False(outcome.Degraded);
        Assert.NotNull(_scorer.Requests.Last().Candidates);
        // Exclusions were dropped when the candidates were chosen; the scorer is not asked to mask them again.
        Assert.True(_scorer.Requests.Last().ExcludedItems.IsEmpty);
        Assert.Equal(20, outcome.Scored.Count);
        foreach (var scored in outcome.Scored)
        {
            Assert.False(user.IsExcluded(scored.Item));
            Assert.Equal(ExactScore(user, scored.Item), scored.ModelScore, 1e-4f);
        }
        // At this size the graph search is exhaustive: the same top 20 as scoring every item.
        var exactTop = Enumerable.Range(0, Items).Where(i => !user.IsExcluded(i))
            .OrderByDescending(i => ExactScore(user, i)).Take(20);
        Assert.Equal(exactTop, outcome.Scored.Select(s => s.Item));
    }

    [Fact]
    public async Task Retired_items_leave_the_candidates_at_once()
    {
        var user = User();
        var pipeline = Pipeline(approximateAbove: 100);
        var before = await pipeline.BuildAsync(user);
        var retired = before.Scored[0].Item;

        _model.ItemIndex.Remove(retired);

        Assert.DoesNotContain(retired, pipeline.SelectCandidates(user).Candidates!);
        var after = await pipeline.BuildAsync(user);
        Assert.DoesNotContain(after.Scored, s => s.Item == retired);
        Assert.Equal(before.Scored[1], after.Scored[0]);
    }

    [Fact]
    public void Below_the_threshold_or_without_a_built_index_the_whole_catalogue_is_scored()
    {
        var user = User();
        Assert.Null(Pipeline(approximateAbove: Items + 1).SelectCandidates(user).Candidates);

        var unbuilt = user with { Model = new ModelSnapshot(_model.Model, _model.Version) };
        var candidates = Pipeline(approximateAbove: 100).SelectCandidates(unbuilt);
        Assert.Null(candidates.Candidates);
        Assert.False(candidates.FromIndex);
    }

    [Fact]
    public async Task Updates_made_while_the_index_builds_are_applied_when_it_is_ready()
    {
        var snapshot = new ModelSnapshot(_model.Model, _model.Version);
        snapshot.ItemIndex.Remove(3);
        snapshot.ItemIndex.Add(Items, _model.Model.ItemVector(10), 5f);
        await snapshot.ItemIndex.StartBuilding(new ItemIndexOptions(), NullLogger.Instance);
        var index = snapshot.ItemIndex.Ready!;

        Assert.False(index.Contains(3));
        Assert.True(index.Contains(Items));
        Assert.Equal(Items, index.Count);
        snapshot.ItemIndex.Dispose();
        Assert.Null(snapshot.ItemIndex.Ready);
    }

    [Fact]
    public void The_candidate_count_covers_the_pool_and_the_exclusions_within_the_maximum()
    {
        var options = new FeedOptions { ApproximateCandidateFactor = 4, ApproximateMaxCandidates = 500 };
        Assert.Equal(230, ApproximateCandidates.CountFor(pool: 50, excluded: 30, catalogueCount: 1_000_000, options));
        Assert.Equal(500, ApproximateCandidates.CountFor(pool: 50, excluded: 3_000, catalogueCount: 1_000_000, options));
        Assert.Equal(120, ApproximateCandidates.CountFor(pool: 50, excluded: 3_000, catalogueCount: 120, options));
        Assert.Equal(600, ApproximateCandidates.CountFor(pool: 600, excluded: 0, catalogueCount: 1_000_000, options));
    }

    private sealed class RecordingScorer(IScorer inner) : IScorer
    {
        public List<ScoringRequest> Requests { get; } = [];
        public OnnxModelInfo Model => inner.Model;

        public Task<ScoringResult> ScoreAsync(ScoringRequest request, CancellationToken cancellationToken = default)
        {
            lock (Requests) Requests.Add(request);
            return inner.ScoreAsync(request, cancellationToken);
        }

        public Task<IReadOnlyList<ScoringResult>> ScoreBatchAsync(IReadOnlyList<ScoringRequest> requests, CancellationToken cancellationToken = default) =>
            inner.ScoreBatchAsync(requests, cancellationToken);
    }
}
