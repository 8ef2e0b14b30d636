using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>The user's cached feed: when it answers a request, and the one response object plain reads share.</summary>
public class FeedCacheTests
{
    private static readonly FeedRequest Plain = new() { K = 3 };

    [Fact]
    public void Only_a_current_feed_of_the_served_model_deep_enough_for_the_request_answers()
    {
        var cache = new FeedCache();
        Assert.Null(cache.Answering(Plain, "v1"));
        cache.Keep(Feed("v1", "1", "2", "3", "4"), bound: 10);
        Assert.NotNull(cache.Answering(Plain, "v1"));
        Assert.Null(cache.Answering(Plain, "v2"));
        Assert.Null(cache.Answering(new FeedRequest { K = 5 }, "v1"));
        // Two of four excluded leave two: not enough for k = 3, enough for k = 2.
        Assert.Null(cache.Answering(new FeedRequest { K = 3, Exclude = ["1", "2"] }, "v1"));
        Assert.NotNull(cache.Answering(new FeedRequest { K = 2, Exclude = ["1", "2"] }, "v1"));

        cache.Invalidate();
        Assert.Null(cache.Answering(Plain, "v1"));
        // Outdated, it stays the fallback ladder's middle rung.
        Assert.Equal(4, cache.LastGood!.Items.Count);
    }

    [Fact]
    public void Plain_reads_of_an_unchanged_feed_share_one_response_until_the_feed_or_k_changes()
    {
        var cache = new FeedCache();
        cache.Keep(Feed("v1", "1", "2", "3", "4"), bound: 10);
        Assert.Null(cache.Reuse(Plain));
        var response = Response();
        Assert.Same(response, cache.Remember(Plain, response));
        Assert.Same(response, cache.Reuse(Plain));
        Assert.Same(response, cache.Reuse(new FeedRequest { K = 3 }));
        Assert.Null(cache.Reuse(new FeedRequest { K = 2 }));

        // Explained or excluding reads are answered per request and never shared.
        var explained = new FeedRequest { K = 3, Explain = true };
        cache.Remember(explained, Response());
        Assert.Null(cache.Reuse(explained));
        Assert.Same(response, cache.Reuse(Plain));

        cache.Keep(Feed("v1", "5", "6", "7"), bound: 10);
        Assert.Null(cache.Reuse(Plain));
    }

    [Fact]
    public void A_kept_feed_is_bounded_and_storage_keeps_its_ids_and_model_scores_only()
    {
        var cache = new FeedCache();
        cache.Keep(Feed("v1", "1", "2", "3", "4") with { Source = FeedSource.Reranked }, bound: 3);
        Assert.Equal(["1", "2", "3"], cache.LastGood!.Items.Select(i => i.ItemId));
        var saved = cache.Saved!;
        Assert.Equal(["1", "2", "3"], saved.ItemIds);
        Assert.Equal(FeedSource.Reranked, saved.Source);

        var restored = saved.ToRankedFeed();
        Assert.All(restored.Items, i => Assert.Equal(FeedPipeline.ModelStage, i.Stage));
        Assert.All(restored.Items, i => Assert.Null(i.Reason));
        Assert.Equal(cache.LastGood.Items.Select(i => i.ModelScore), restored.Items.Select(i => i.ModelScore));
    }

    private static RankedFeed Feed(string modelVersion, params string[] items) => new()
    {
        Items = items.Select((id, rank) => new RankedFeedItem { ItemId = id, ModelScore = 10f - rank, Stage = FeedPipeline.RerankedStage, Reason = "why" }).ToList(),
        Source = FeedSource.Model,
        ModelVersion = modelVersion,
        GeneratedAt = DateTimeOffset.UnixEpoch,
    };

    private static Feed Response() => new() { UserId = "u", Items = [], Source = FeedSource.Model };
}
