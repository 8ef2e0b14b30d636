using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>What the cache keeps when events interleave with a feed build, and when its saved form rides along with a write.</summary>
public class FeedCacheWriteTests
{
    private static RankedFeed Feed(string model, DateTimeOffset at) => new()
    {
        Items = [new RankedFeedItem { ItemId = "7", ModelScore = 1f, Stage = FeedPipeline.ModelStage }],
        Source = FeedSource.Model,
        ModelVersion = model,
        GeneratedAt = at,
    };

    [Fact]
    public void A_feed_built_while_an_event_arrived_is_the_last_good_feed_but_not_current()
    {
        var cache = new FeedCache();
        var changes = cache.Changes;
        cache.Invalidate();
        cache.Keep(Feed("v1", DateTimeOffset.UnixEpoch), 10, changes);
        Assert.False(cache.IsCurrent);
        Assert.NotNull(cache.LastGood);

        cache.Keep(Feed("v1", DateTimeOffset.UnixEpoch), 10, cache.Changes);
        Assert.True(cache.IsCurrent);
    }

    [Fact]
    public void The_saved_feed_is_written_again_only_for_another_model_or_after_the_save_interval()
    {
        var cache = new FeedCache();
        Assert.False(cache.SaveDue);
        var start = DateTimeOffset.UnixEpoch;
        cache.Keep(Feed("v1", start), 10);
        Assert.True(cache.SaveDue);
        cache.MarkWritten(cache.Saved);
        Assert.False(cache.SaveDue);

        cache.Keep(Feed("v1", start.AddMinutes(1)), 10);
        Assert.False(cache.SaveDue);
        cache.Keep(Feed("v1", start + FeedCache.SaveInterval), 10);
        Assert.True(cache.SaveDue);
        cache.Keep(Feed("v2", start.AddMinutes(1)), 10);
        Assert.True(cache.SaveDue);
    }
}
