using Microsoft.Extensions.Logging.Abstractions;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.UnitTests;

public class FeedPipelineTests
{
    private readonly ItemCatalogue _catalogue = TestWorld.Catalogue();
    private readonly ModelSnapshot _model = TestWorld.Served();
    private readonly FakeScorer _scorer;

    public FeedPipelineTests() => _scorer = new FakeScorer(_catalogue, _model);

    private FeedPipeline Pipeline(IReranker? reranker = null, int budgetMs = 1_000) =>
        new(_catalogue, _scorer, reranker ?? new IdentityReranker(), new FeedOptions { ScoringBudgetMs = budgetMs }, TimeProvider.System, NullLogger<FeedPipeline>.Instance);

    /// <summary>A user who clicked item "3" (cluster 2) and disliked item "8" (cluster 2 as well).</summary>
    private FeedInput UserWhoClickedThree(RankedFeed? lastGood = null, int depth = 10)
    {
        var state = new UserState();
        UserGrain.Apply(state, [TestWorld.Event("e1", "3"), TestWorld.Event("e2", "8", UserEventType.Dislike)]);
        return new FeedInput
        {
            UserId = "u",
            Model = _model,
            Embedding = UserGrain.EmbeddingOf(state, _model, _catalogue),
            ExcludedItemIds = state.ExcludedItemIds(),
            LastGoodFeed = lastGood,
            Depth = depth,
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
        var input = UserWhoClickedThree() with { Embedding = null, ExcludedItemIds = new HashSet<string> { "1" } };
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
        var outcome = await Pipeline(new ReversingReranker()).BuildAsync(UserWhoClickedThree(depth: 4));
        Assert.True(outcome.Personalised);
        Assert.Equal(FeedSource.Reranked, outcome.Feed.Source);
        Assert.All(outcome.Feed.Items, i => Assert.Equal(FeedPipeline.RerankedStage, i.Stage));
        Assert.Equal("reversed", outcome.Feed.Items[0].Reason);
        Assert.Equal(0f, outcome.Feed.Items[0].RerankScore);
    }

    [Fact]
    public async Task A_failing_re_ranker_keeps_the_model_order_and_marks_the_feed_degraded()
    {
        var expected = (await Pipeline().BuildAsync(UserWhoClickedThree(depth: 4))).Feed.Items.Select(i => i.ItemId).ToList();
        var outcome = await Pipeline(new ThrowingReranker()).BuildAsync(UserWhoClickedThree(depth: 4));
        Assert.True(outcome.Degraded);
        Assert.False(outcome.Personalised);
        Assert.Equal(FeedSource.Model, outcome.Feed.Source);
        Assert.Equal(expected, outcome.Feed.Items.Select(i => i.ItemId));
        Assert.Contains("re-ranker 'throwing' failed", outcome.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_re_ranker_may_not_invent_items()
    {
        var outcome = await Pipeline(new InventingReranker()).BuildAsync(UserWhoClickedThree(depth: 4));
        Assert.True(outcome.Degraded);
        Assert.Equal(FeedSource.Model, outcome.Feed.Source);
        Assert.DoesNotContain(outcome.Feed.Items, i => i.ItemId == "3");
    }

    private sealed class ReversingReranker : IReranker
    {
        public string Name => "reversing";

        public Task<RerankResult> RerankAsync(RerankContext context, IReadOnlyList<ScoredCandidate> candidates, CancellationToken cancellationToken) =>
            Task.FromResult(new RerankResult(candidates.Reverse().Select((c, rank) => new RerankedCandidate(c.Item, c.ModelScore, rank, "reversed")).ToList(), true));
    }

    private sealed class ThrowingReranker : IReranker
    {
        public string Name => "throwing";

        public Task<RerankResult> RerankAsync(RerankContext context, IReadOnlyList<ScoredCandidate> candidates, CancellationToken cancellationToken) =>
            throw new HttpRequestException("LLM endpoint down");
    }

    private sealed class InventingReranker : IReranker
    {
        public string Name => "inventing";

        public Task<RerankResult> RerankAsync(RerankContext context, IReadOnlyList<ScoredCandidate> candidates, CancellationToken cancellationToken)
        {
            context.Catalogue.TryGetIndex("3", out var seen);
            return Task.FromResult(new RerankResult([new RerankedCandidate(seen, 9f, 9f, "seen before")], true));
        }
    }
}
