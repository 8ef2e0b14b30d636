using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>The silo-local answers to plain reads: only what the owning activation published, while it is current.</summary>
public class SiloLocalFeedsTests
{
    private readonly StepClock _clock = new();
    private string _served = "v1";
    private long _generation;

    private SiloLocalFeeds Feeds(TimeSpan? refresh = null) => new(_clock, refresh ?? TimeSpan.FromSeconds(5), () => (_served, _generation));

    [Fact]
    public void A_published_feed_answers_plain_reads_of_its_k_until_its_owner_withdraws_it()
    {
        var feeds = Feeds();
        var owner = new object();
        var response = Response();
        Assert.Null(feeds.TryAnswer("u", 20));

        feeds.Publish("u", owner, response, 20, "v1", 0);
        Assert.Same(response, feeds.TryAnswer("u", 20));
        Assert.Null(feeds.TryAnswer("u", 10));
        Assert.Null(feeds.TryAnswer("other", 20));
        Assert.Equal(1, feeds.Hits);

        // Another activation (an older one of the same user) cannot take away the current owner's entry.
        feeds.Withdraw("u", new object());
        Assert.Same(response, feeds.TryAnswer("u", 20));
        feeds.Withdraw("u", owner);
        Assert.Null(feeds.TryAnswer("u", 20));
        Assert.Equal(0, feeds.Count);
    }

    [Fact]
    public void An_entry_lapses_after_the_refresh_interval_and_the_next_grain_read_renews_it()
    {
        var feeds = Feeds(TimeSpan.FromSeconds(5));
        var owner = new object();
        feeds.Publish("u", owner, Response(), 20, "v1", 0);
        _clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.NotNull(feeds.TryAnswer("u", 20));
        _clock.Advance(TimeSpan.FromSeconds(0.2));
        Assert.Null(feeds.TryAnswer("u", 20));

        // A lapsed entry of a vanished activation does not block the user's next activation.
        var next = new object();
        var renewed = Response();
        feeds.Publish("u", next, renewed, 20, "v1", 0);
        Assert.Same(renewed, feeds.TryAnswer("u", 20));
    }

    [Fact]
    public void A_feed_of_another_model_than_the_one_served_now_is_not_answered()
    {
        var feeds = Feeds();
        feeds.Publish("u", new object(), Response(), 20, "v1", 0);
        _served = "v2";
        Assert.Null(feeds.TryAnswer("u", 20));
    }

    [Fact]
    public void A_feed_of_another_catalogue_generation_is_not_answered()
    {
        var feeds = Feeds();
        feeds.Publish("u", new object(), Response(), 20, "v1", 0);
        Assert.NotNull(feeds.TryAnswer("u", 20));
        _generation = 1; // an item was published or retired since the feed was made
        Assert.Null(feeds.TryAnswer("u", 20));
    }

    [Fact]
    public void Turned_off_nothing_is_kept()
    {
        var feeds = Feeds(TimeSpan.Zero);
        feeds.Publish("u", new object(), Response(), 20, "v1", 0);
        Assert.False(feeds.Enabled);
        Assert.Null(feeds.TryAnswer("u", 20));
        Assert.Null(SiloLocalFeeds.Off.TryAnswer("u", 20));
    }

    [Fact]
    public void The_cache_shares_only_a_current_feeds_remembered_response()
    {
        var cache = new FeedCache();
        var plain = new FeedRequest { K = 3 };
        cache.Keep(new RankedFeed { Items = [], Source = FeedSource.Model, ModelVersion = "v1", GeneratedAt = DateTimeOffset.UnixEpoch }, bound: 10);
        Assert.Null(cache.SharedNow);
        var response = cache.Remember(plain, Response());
        Assert.Same(response, cache.SharedNow);
        Assert.Equal(3, cache.SharedK);

        // An event (or preferences, a profile, a re-rank answer) makes it outdated: nothing is shared any more.
        cache.Invalidate();
        Assert.Null(cache.SharedNow);
    }

    private static Feed Response() => new() { UserId = "u", Items = [], Source = FeedSource.Model, ModelVersion = "v1" };

    private sealed class StepClock : TimeProvider
    {
        private long _now = 1_000;

        public override long GetTimestamp() => _now;

        public void Advance(TimeSpan by) => _now += (long)(by.TotalSeconds * TimestampFrequency);
    }
}
