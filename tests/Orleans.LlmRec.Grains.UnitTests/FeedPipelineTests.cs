using Microsoft.Extensions.Logging.Abstractions;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Llm.Reranking;

namespace Orleans.LlmRec.Grains.UnitTests;

public class FeedPipelineTests
{
    private readonly ItemCatalogue _catalogue = TestWorld.Catalogue();
    private readonly ModelSnapshot _model = TestWorld.Served();
    private readonly FakeScorer _scorer;

    public FeedPipelineTests() => _scorer = new FakeScorer(_catalogue, _model);

    /// <summary>The pipeline with the LLM off; <paramref name="inline"/> scores candidates for users who wrote something.</summary>
    private FeedPipeline Pipeline(IReranker? inline = null, int budgetMs = 1_000) =>
        new(_catalogue, _scorer, new RerankStage(new FixedStatus(false), inline ?? new TfIdfReranker(), new LlmOptions { FusionAlpha = 1f }),
            new FeedOptions { ScoringBudget = TimeSpan.FromMilliseconds(budgetMs) }, TimeProvider.System, NullLogger<FeedPipeline>.Instance);

    /// <summary>A user who clicked item "3" (cluster 2) and disliked item "8" (cluster 2 as well).</summary>
    private FeedContext UserWhoClickedThree(RankedFeed? lastGood = null, int depth = 10, string? preferences = null)
    {
        var state = new UserState();
        state.Apply([TestWorld.Event("e1", "3"), TestWorld.Event("e2", "8", UserEventType.Dislike)]);
        return new FeedContext
        {
            UserId = "u",
            Model = _model,
            Embedding = state.History.EmbeddingFor(_model, _catalogue),
            Excluded = state.History.ExcludedIndexes(_catalogue),
            LastGoodFeed = lastGood,
            Depth = depth,
            Preferences = preferences,
        };
    }

    private static RankedFeed LastGood(params string[] items) => new()
    {
        Items = items.Select(i => new RankedFeedItem { ItemId = i, ModelScore = 1f, Stage = FeedPipeline.ModelStage }).ToList(),
        Source = FeedSource.Model,
        ModelVersion = "v0",
        GeneratedAt = DateTimeOffset.UnixEpoch,
    };

    [Fact]
    public async Task A_personalised_feed_comes_from_the_model_without_seen_or_disliked_items()
    {
        var outcome = await Pipeline().BuildAsync(UserWhoClickedThree(depth: 5));
        Assert.True(outcome.Personalised);
        Assert.False(outcome.Degraded);
        Assert.Equal(FeedSource.Model, outcome.Feed.Source);
        Assert.Equal(5, outcome.Feed.Items.Count);
        // Cluster 2 (items 3, 8, 13, 18, ...) comes first; 3 was seen and 8 disliked.
        Assert.All(outcome.Feed.Items, i => Assert.Equal(2, TestWorld.ClusterOf(i.ItemId)));
        Assert.DoesNotContain(outcome.Feed.Items, i => i.ItemId is "3" or "8");
        Assert.Equal(["3", "8"], _scorer.Requests.Single().ExcludedItems.ToArray().Select(_catalogue.ItemIdOf).Order());
    }

    [Fact]
    public async Task A_cold_user_gets_popular_items_without_being_degraded()
    {
        _catalogue.TryGetIndex("1", out var one);
        var input = UserWhoClickedThree() with { Embedding = null, Excluded = [one] };
        var outcome = await Pipeline().BuildAsync(input);
        Assert.False(outcome.Personalised);
        Assert.False(outcome.Degraded);
        Assert.Equal(FeedSource.Fallback, outcome.Feed.Source);
        Assert.Equal(["2", "3", "4", "5"], outcome.Feed.Items.Take(4).Select(i => i.ItemId));
        Assert.All(outcome.Feed.Items, i => Assert.Equal(FeedFallback.PopularStage, i.Stage));
        Assert.Empty(_scorer.Requests);
    }

    [Fact]
    public async Task When_scoring_fails_the_last_good_feed_is_served_then_popular_items()
    {
        _scorer.Failure = new InvalidOperationException("session lost");
        var outcome = await Pipeline().BuildAsync(UserWhoClickedThree(LastGood("13", "3", "18", "8"), depth: 5));
        Assert.False(outcome.Personalised);
        Assert.True(outcome.Degraded);
        Assert.Equal(FeedSource.Fallback, outcome.Feed.Source);
        // 3 (seen) and 8 (disliked) are dropped from the last good feed; popular items fill the rest, without 3.
        Assert.Equal(["13", "18", "1", "2", "4"], outcome.Feed.Items.Select(i => i.ItemId));
        Assert.Equal([FeedFallback.LastGoodStage, FeedFallback.LastGoodStage, FeedFallback.PopularStage, FeedFallback.PopularStage, FeedFallback.PopularStage],
            outcome.Feed.Items.Select(i => i.Stage));
        Assert.Contains("session lost", outcome.Note, StringComparison.Ordinal);
        Assert.Contains("2 item(s) of the last good feed and 3 popular", outcome.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scorer_that_runs_over_its_budget_sends_the_feed_down_the_ladder()
    {
        _scorer.Hang = true;
        var outcome = await Pipeline(budgetMs: 20).BuildAsync(UserWhoClickedThree());
        Assert.True(outcome.Degraded);
        Assert.Equal(FeedSource.Fallback, outcome.Feed.Source);
        Assert.Contains("budget of 20 ms", outcome.Note, StringComparison.Ordinal);
        Assert.All(outcome.Feed.Items, i => Assert.Equal(FeedFallback.PopularStage, i.Stage));
    }

    [Fact]
    public async Task A_caller_that_cancels_gets_a_cancellation_not_a_fallback()
    {
        _scorer.Hang = true;
        using var cancel = new CancellationTokenSource();
        var building = Pipeline(budgetMs: 60_000).BuildAsync(UserWhoClickedThree(), cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => building);
    }

    [Fact]
    public async Task A_re_ranker_that_reorders_makes_the_source_reranked()
    {
        var modelOrder = (await Pipeline().BuildAsync(UserWhoClickedThree(depth: 4))).Feed.Items.Select(i => i.ItemId).ToList();
        var outcome = await Pipeline(new ReversingReranker()).BuildAsync(UserWhoClickedThree(depth: 4, preferences: "anything"));
        Assert.True(outcome.Personalised);
        Assert.Equal(FeedSource.Reranked, outcome.Feed.Source);
        Assert.All(outcome.Feed.Items, i => Assert.Equal(FeedPipeline.RerankedStage, i.Stage));
        Assert.StartsWith(RerankStage.TfIdfReason, outcome.Feed.Items[0].Reason, StringComparison.Ordinal);
        Assert.Equal(1f, outcome.Feed.Items[0].RerankScore);
        // With α 1 the re-rank score alone decides: the reverser's order.
        Assert.Equal(modelOrder.AsEnumerable().Reverse(), outcome.Feed.Items.Select(i => i.ItemId));
    }

    [Fact]
    public async Task A_failing_re_ranker_keeps_the_model_order_and_marks_the_feed_degraded()
    {
        var expected = (await Pipeline().BuildAsync(UserWhoClickedThree(depth: 4))).Feed.Items.Select(i => i.ItemId).ToList();
        var outcome = await Pipeline(new ThrowingReranker()).BuildAsync(UserWhoClickedThree(depth: 4, preferences: "anything"));
        Assert.True(outcome.Degraded);
        Assert.False(outcome.Personalised);
        Assert.Equal(FeedSource.Model, outcome.Feed.Source);
        Assert.Equal(expected, outcome.Feed.Items.Select(i => i.ItemId));
        Assert.Contains("re-ranker 'tfidf' failed (HttpRequestException)", outcome.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scores_for_items_that_are_not_candidates_change_nothing()
    {
        var expected = (await Pipeline().BuildAsync(UserWhoClickedThree(depth: 4))).Feed.Items.Select(i => i.ItemId).ToList();
        var outcome = await Pipeline(new InventingReranker()).BuildAsync(UserWhoClickedThree(depth: 4, preferences: "anything"));
        Assert.False(outcome.Degraded);
        Assert.Equal(expected, outcome.Feed.Items.Select(i => i.ItemId));
        Assert.DoesNotContain(outcome.Feed.Items, i => i.ItemId == "3");
        Assert.All(outcome.Feed.Items, i => Assert.Null(i.RerankScore));
    }

    /// <summary>Scores the candidates sent from 0 (the model's best) to 1 (its worst).</summary>
    private sealed class ReversingReranker : IReranker
    {
        public RerankSource Source => RerankSource.TfIdf;

        public int EstimateTokens(RerankRequest request) => 0;

        public Task<RerankResult> RerankAsync(RerankRequest request, CancellationToken cancellationToken = default) =>
            Task.FromResult(new RerankResult(LlmResultStatus.Succeeded,
                request.Candidates.Select((c, rank) => (c.ItemId, Score: (float)rank / (request.Candidates.Count - 1))).ToDictionary(x => x.ItemId, x => x.Score),
                RerankSource.TfIdf, LlmUsage.None, default));
    }

    private sealed class ThrowingReranker : IReranker
    {
        public RerankSource Source => RerankSource.TfIdf;

        public int EstimateTokens(RerankRequest request) => 0;

        public Task<RerankResult> RerankAsync(RerankRequest request, CancellationToken cancellationToken = default) =>
            throw new HttpRequestException("LLM endpoint down");
    }

    /// <summary>Answers with a score for an item the user has seen, which no candidate is.</summary>
    private sealed class InventingReranker : IReranker
    {
        public RerankSource Source => RerankSource.TfIdf;

        public int EstimateTokens(RerankRequest request) => 0;

        public Task<RerankResult> RerankAsync(RerankRequest request, CancellationToken cancellationToken = default) =>
            Task.FromResult(new RerankResult(LlmResultStatus.Succeeded, new Dictionary<string, float> { ["3"] = 1f }, RerankSource.TfIdf, LlmUsage.None, default));
    }
}
