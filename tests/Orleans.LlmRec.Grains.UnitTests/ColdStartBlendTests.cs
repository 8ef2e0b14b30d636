using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Llm.Reranking;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>
/// A cold user (nothing the model can fold in) gets popular items; once they have preferences or a profile, those
/// re-rank the popular pool, so the first feed already leans their way. The model is never asked to score.
/// </summary>
public class ColdStartBlendTests
{
    private readonly ItemCatalogue _catalogue = TestWorld.Catalogue();
    private readonly ModelSnapshot _model = TestWorld.Served();
    private readonly FakeScorer _scorer;

    public ColdStartBlendTests() => _scorer = new FakeScorer(_catalogue, _model);

    private FeedPipeline Pipeline(bool llmEnabled = false) =>
        new(_catalogue, _scorer,
            new RerankStage(new FixedStatus(llmEnabled), new TfIdfReranker(50), Options.Create(new LlmOptions { FusionAlpha = 0.9f, Endpoint = llmEnabled ? "http://llm/v1" : null })),
            new FeedOptions { ScoringBudget = TimeSpan.FromSeconds(1), RerankPoolSize = 20 }, TimeProvider.System, NullLogger<FeedPipeline>.Instance);

    private FeedContext ColdUser(string? preferences = null, string? profile = null) => new()
    {
        UserId = "cold",
        Model = _model,
        Embedding = null,
        Excluded = [],
        Preferences = preferences,
        Profile = profile,
        Depth = 10,
    };

    [Fact]
    public async Task Without_text_a_cold_user_gets_the_popular_order()
    {
        var outcome = await Pipeline().BuildAsync(ColdUser());
        Assert.Equal(FeedSource.Fallback, outcome.Feed.Source);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), outcome.Feed.Items.Select(i => i.ItemId));
        Assert.False(outcome.Degraded);
        Assert.Empty(_scorer.Requests);
    }

    [Fact]
    public async Task Stated_preferences_lift_matching_popular_items_to_the_top()
    {
        // Items 1..40 cycle through clusters 0..4 and popularity falls with the id; cluster 3 is items 4, 9, 14, 19.
        var outcome = await Pipeline().BuildAsync(ColdUser(preferences: "cluster3 please"));

        Assert.Equal(FeedSource.Reranked, outcome.Feed.Source);
        Assert.False(outcome.Degraded);
        Assert.False(outcome.Personalised);
        Assert.Equal(["4", "9", "14", "19"], outcome.Feed.Items.Take(4).Select(i => i.ItemId));
        Assert.All(outcome.Feed.Items, i => Assert.StartsWith(RerankStage.TfIdfReason, i.Reason, StringComparison.Ordinal));
        // The pool is the popular items, with their popularity as the score the re-ranker fused.
        Assert.Equal(20, outcome.Scored.Count);
        Assert.Equal(Enumerable.Range(0, 20), outcome.Scored.Select(c => c.Item));
        Assert.Empty(_scorer.Requests);
    }

    [Fact]
    public async Task A_profile_counts_like_preferences_and_seen_items_stay_out()
    {
        _catalogue.TryGetIndex("2", out var two);
        var input = ColdUser(profile: "Loves cluster1 films.") with { Excluded = [two] };
        var outcome = await Pipeline().BuildAsync(input);
        Assert.Equal(FeedSource.Reranked, outcome.Feed.Source);
        Assert.Equal(["7", "12", "17"], outcome.Feed.Items.Take(3).Select(i => i.ItemId));
        Assert.DoesNotContain(outcome.Feed.Items, i => i.ItemId == "2");
    }

    [Fact]
    public async Task Stored_LLM_scores_re_rank_a_cold_users_popular_pool()
    {
        // The LLM scored the whole pool (the 20 most popular items): only the least popular of them fits.
        var scores = Enumerable.Range(1, 20).ToDictionary(i => Index(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), i => i == 20 ? 1f : 0f);
        var outcome = await Pipeline(llmEnabled: true).BuildAsync(ColdUser(preferences: "anything") with { RerankScores = scores });
        Assert.Equal(FeedSource.Reranked, outcome.Feed.Source);
        Assert.Equal("20", outcome.Feed.Items[0].ItemId);
        Assert.Equal(1f, outcome.Feed.Items[0].RerankScore);
    }

    private int Index(string itemId) => _catalogue.TryGetIndex(itemId, out var index) ? index : throw new ArgumentException(itemId);
}
