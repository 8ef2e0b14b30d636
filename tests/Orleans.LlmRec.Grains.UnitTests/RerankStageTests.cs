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

public class RerankStageTests
{
    private readonly ItemCatalogue _catalogue = TestWorld.Catalogue();
    private readonly ModelSnapshot _model = TestWorld.Served();

    [Fact]
    public async Task With_alpha_high_stored_scores_that_invert_the_model_order_invert_the_feed()
    {
        var candidates = Candidates("1", "2", "3", "4", "5", "6");
        var inverted = Inverted(candidates);
        var result = await Reranker(enabled: true, alpha: 0.9f).RerankAsync(Context(scores: inverted), candidates, _catalogue, CancellationToken.None);

        Assert.True(result.Reordered);
        Assert.Null(result.DegradedNote);
        Assert.Equal(["6", "5", "4", "3", "2", "1"], result.Items.Select(i => _catalogue.ItemIdOf(i.Item)));
        // The order is the fused score's: final = 0.1·norm(model) + 0.9·llm, shown as the item's score.
        var finals = result.Items.Select(i => i.FinalScore!.Value).ToList();
        Assert.Equal(finals.OrderByDescending(f => f), finals);
        Assert.Equal(0.1f * 0f + 0.9f * 1f, finals[0], 4);
        Assert.All(result.Items, i => Assert.StartsWith(RerankStage.LlmReason, i.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_alpha_zero_the_model_order_stands_even_with_scores()
    {
        var candidates = Candidates("1", "2", "3", "4");
        var result = await Reranker(enabled: true, alpha: 0f).RerankAsync(Context(scores: Inverted(candidates)), candidates, _catalogue, CancellationToken.None);
        Assert.Equal(["1", "2", "3", "4"], result.Items.Select(i => _catalogue.ItemIdOf(i.Item)));
    }

    [Fact]
    public async Task Items_without_a_stored_score_take_the_mean_and_say_so()
    {
        var candidates = Candidates("1", "2", "3");
        var scores = new Dictionary<int, float> { [Index("1")] = 0.2f, [Index("3")] = 0.8f };
        var result = await Reranker(enabled: true, alpha: 0.5f).RerankAsync(Context(scores: scores), candidates, _catalogue, CancellationToken.None);
        var unscored = result.Items.Single(i => _catalogue.ItemIdOf(i.Item) == "2");
        Assert.Null(unscored.RerankScore);
        Assert.Contains("the mean 0.50 stands in", unscored.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_scores_the_model_order_is_served_and_degraded_only_when_the_LLM_is_unavailable()
    {
        var candidates = Candidates("1", "2", "3");
        var pending = await Reranker(enabled: true, alpha: 0.5f).RerankAsync(Context(), candidates, _catalogue, CancellationToken.None);
        Assert.False(pending.Reordered);
        Assert.Null(pending.DegradedNote);

        var down = await Reranker(enabled: true, alpha: 0.5f).RerankAsync(Context(unavailable: "LLM re-rank failed (server_error)"), candidates, _catalogue, CancellationToken.None);
        Assert.False(down.Reordered);
        Assert.Equal(["1", "2", "3"], down.Items.Select(i => _catalogue.ItemIdOf(i.Item)));
        Assert.Contains("server_error", down.DegradedNote, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stale_scores_still_serve_while_the_LLM_is_unavailable()
    {
        var candidates = Candidates("1", "2", "3");
        var result = await Reranker(enabled: true, alpha: 0.9f)
            .RerankAsync(Context(scores: Inverted(candidates), unavailable: "LLM unavailable (circuit Open)"), candidates, _catalogue, CancellationToken.None);
        Assert.True(result.Reordered);
        Assert.Null(result.DegradedNote);
        Assert.Equal("3", _catalogue.ItemIdOf(result.Items[0].Item));
    }

    [Fact]
    public async Task With_the_LLM_off_TF_IDF_on_the_preferences_lifts_matching_items_and_is_labelled()
    {
        // Items 1..5 are clusters 0..4; the user says they like cluster 3's genre.
        var candidates = Candidates("1", "2", "3", "4", "5");
        var result = await Reranker(enabled: false, alpha: 0.9f).RerankAsync(Context(preferences: "cluster3 please"), candidates, _catalogue, CancellationToken.None);
        Assert.True(result.Reordered);
        Assert.Equal("4", _catalogue.ItemIdOf(result.Items[0].Item));
        Assert.All(result.Items, i => Assert.StartsWith(RerankStage.TfIdfReason, i.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_the_LLM_off_a_user_who_wrote_nothing_keeps_the_model_order()
    {
        var candidates = Candidates("1", "2", "3");
        var result = await Reranker(enabled: false, alpha: 0.9f).RerankAsync(Context(), candidates, _catalogue, CancellationToken.None);
        Assert.False(result.Reordered);
        Assert.Null(result.DegradedNote);
        Assert.Equal(["1", "2", "3"], result.Items.Select(i => _catalogue.ItemIdOf(i.Item)));
    }

    [Fact]
    public async Task The_pipeline_stores_fused_scores_and_the_reranked_source()
    {
        var state = new UserState();
        state.Apply([TestWorld.Event("e1", "3")]);
        var input = new FeedContext
        {
            UserId = "u",
            Model = _model,
            Embedding = state.History.EmbeddingFor(_model, _catalogue),
            Excluded = state.History.ExcludedIndexes(_catalogue),
            Depth = 5,
        };
        var pipeline = new FeedPipeline(_catalogue, new FakeScorer(_catalogue, _model), Reranker(enabled: true, alpha: 0.9f),
            new FeedOptions { ScoringBudget = TimeSpan.FromSeconds(1), RerankPoolSize = 20 }, TimeProvider.System, NullLogger<FeedPipeline>.Instance);

        var model = await pipeline.BuildAsync(input);
        Assert.Equal(FeedSource.Model, model.Feed.Source);
        Assert.Equal(20, model.Scored.Count);

        // Score the worst of the 20 candidates highest: with α 0.9 it must lead the feed.
        var last = _catalogue.ItemIdOf(model.Scored[^1].Item);
        var scores = model.Scored.ToDictionary(c => c.Item, _ => 0f);
        scores[model.Scored[^1].Item] = 1f;
        var reranked = await pipeline.BuildAsync(input with { RerankScores = scores });
        Assert.Equal(FeedSource.Reranked, reranked.Feed.Source);
        Assert.True(reranked.Personalised);
        Assert.Equal(last, reranked.Feed.Items[0].ItemId);
        Assert.Equal(1f, reranked.Feed.Items[0].RerankScore);
        Assert.NotNull(reranked.Feed.Items[0].FinalScore);
        Assert.All(reranked.Feed.Items, i => Assert.Equal(FeedPipeline.RerankedStage, i.Stage));
    }

    private RerankStage Reranker(bool enabled, float alpha) =>
        new(new FixedStatus(enabled), new TfIdfReranker(50), Options.Create(new LlmOptions { FusionAlpha = alpha, Endpoint = enabled ? "http://llm/v1" : null }));

    private FeedContext Context(IReadOnlyDictionary<int, float>? scores = null, string? unavailable = null, string? preferences = null) => new()
    {
        UserId = "u",
        Model = _model,
        Excluded = [],
        Preferences = preferences,
        Depth = 10,
        RerankScores = scores ?? new Dictionary<int, float>(),
        RerankUnavailable = unavailable,
    };

    private int Index(string itemId) => _catalogue.TryGetIndex(itemId, out var index) ? index : throw new ArgumentException(itemId);

    /// <summary>Candidates in the given order with falling model scores.</summary>
    private List<ScoredCandidate> Candidates(params string[] itemIds) =>
        itemIds.Select((id, rank) => { _catalogue.TryGetIndex(id, out var index); return new ScoredCandidate(index, 10f - rank); }).ToList();

    /// <summary>Re-rank scores from 0 for the model's best to 1 for its worst.</summary>
    private static Dictionary<int, float> Inverted(IReadOnlyList<ScoredCandidate> candidates) =>
        candidates.Select((c, rank) => (c.Item, Score: (float)rank / (candidates.Count - 1)))
            .ToDictionary(x => x.Item, x => x.Score);
}
