using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Orleans.LlmRec.Grains.Metrics;

/// <summary>
/// Click-to-feed freshness, on the meter <c>Orleans.LlmRec.Feeds</c>: <c>llmrec.click_to_feed</c> (Prometheus
/// <c>llmrec_click_to_feed_seconds</c>), the time from an event being applied to a user's state to the first feed
/// built for that user that reflects it. One measurement per feed built after new events, taken from the oldest of
/// them, so a p99 says how stale the worst-served feeds were. It includes the time until the client next asked: a
/// client that polls its feed right after a click measures the service; one that comes back later measures itself.
/// </summary>
public sealed class FeedFreshnessMetrics
{
    public const string MeterName = "Orleans.LlmRec.Feeds";
    public const string InstrumentName = "llmrec.click_to_feed";

    // Seconds: the default buckets (0..10,000) suit milliseconds, not freshness from a few ms to minutes.
    private static readonly double[] Buckets = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

    private readonly Histogram<double> _clickToFeed;

    public FeedFreshnessMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _clickToFeed = meter.CreateHistogram(InstrumentName, "s",
            "Time from an event applied to a user's state to the first feed built that reflects it (oldest such event per feed).",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets });
    }

    public void Record(TimeSpan sinceApplied) => _clickToFeed.Record(sinceApplied.TotalSeconds);
}

/// <summary>
/// One user grain's side of <see cref="FeedFreshnessMetrics"/>: when the oldest event not yet reflected in a built
/// feed was applied. In memory only; a grain is single-threaded, except that events interleave with a feed build,
/// and those are caught by the next build (the mark is taken when a build starts).
/// </summary>
public sealed class FeedFreshness(FeedFreshnessMetrics metrics)
{
    private long _oldestUnreflected;

    /// <summary>Events were applied to the state now; the first of a run starts the clock.</summary>
    public void EventsApplied()
    {
        if (_oldestUnreflected == 0) _oldestUnreflected = Stopwatch.GetTimestamp();
    }

    /// <summary>A feed build starts: it reflects every event applied so far. The mark to hand to <see cref="FeedBuilt"/>.</summary>
    public long BuildStarting()
    {
        var mark = _oldestUnreflected;
        _oldestUnreflected = 0;
        return mark;
    }

    /// <summary>The build that began with <paramref name="mark"/> produced a feed; records its freshness if events were waiting.</summary>
    public void FeedBuilt(long mark)
    {
        if (mark != 0) metrics.Record(Stopwatch.GetElapsedTime(mark));
    }

    /// <summary>The build failed: its events are still waiting for a feed.</summary>
    public void BuildFailed(long mark)
    {
        if (mark != 0 && (_oldestUnreflected == 0 || mark < _oldestUnreflected)) _oldestUnreflected = mark;
    }
}
