using System.Diagnostics.Metrics;
using Orleans.LlmRec.Silo.Metrics;

namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>
/// This host's running totals for the dashboard, kept by a <see cref="MeterListener"/> over the service's own meters
/// (<see cref="LlmRecMeters.All"/>): each measurement adds to a fixed slot with one interlocked add (histograms: one
/// bucket), decided from its tags without allocating. Nothing is computed on the recording thread; the
/// <see cref="HostSampler"/> reads the totals once a second and turns differences into rates and percentiles.
/// </summary>
public sealed class DashboardMetrics : IDisposable
{
    public const string FeedRoute = "/v1/users/{userId}/feed";

    private readonly MeterListener _listener = new();
    private readonly long[] _totals = new long[Enum.GetValues<Counted>().Length];
    private readonly double[] _gauges = new double[Enum.GetValues<Gauged>().Length];

    public DashboardMetrics()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (Handles(instrument.Meter.Name, instrument.Name)) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument.Name, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument.Name, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument.Name, value, tags));
        _listener.Start();
    }

    /// <summary>Feed requests' durations (ASP.NET Core's <c>http.server.request.duration</c> on the feed route).</summary>
    public LatencyHistogram FeedLatency { get; } = new();

    /// <summary>Feed requests' durations by the feed's source (the request's <see cref="ServiceMetrics.FeedSourceTag"/>): model, reranked, fallback.</summary>
    public LatencyHistogram[] FeedLatencyBySource { get; } = [new(), new(), new()];

    /// <summary>The feed sources in the order of <see cref="FeedLatencyBySource"/>.</summary>
    public static readonly string[] FeedSources = ["model", "reranked", "fallback"];

    /// <summary>LLM calls' durations, cache hits included.</summary>
    public LatencyHistogram LlmLatency { get; } = new();

    /// <summary>Click-to-feed freshness: from an event applied to the first feed that reflects it.</summary>
    public LatencyHistogram ClickToFeed { get; } = new();

    /// <summary>Scoring batches' durations (ONNX Runtime run and top-k).</summary>
    public LatencyHistogram ScorerLatency { get; } = new();

    public long Total(Counted counted) => Volatile.Read(ref _totals[(int)counted]);

    public double Gauge(Gauged gauged) => Volatile.Read(ref _gauges[(int)gauged]);

    /// <summary>Reads the observable gauges (LLM queue depth, circuit state) now; the sampler calls it once a second.</summary>
    public void ObserveGauges() => _listener.RecordObservableInstruments();

    private static bool Handles(string meter, string instrument) => meter switch
    {
        LlmRecMeters.Service or LlmRecMeters.EventStream or LlmRecMeters.Llm or LlmRecMeters.Feeds => true,
        LlmRecMeters.Scoring => instrument == "llmrec.scorer.batch.duration",
        LlmRecMeters.Orleans => instrument is "orleans-catalog-activation-created" or "orleans-catalog-activation-shutdown",
        "Microsoft.AspNetCore.Hosting" => instrument == "http.server.request.duration",
        _ => false,
    };

    private void Record(string instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        switch (instrument)
        {
            case "http.server.request.duration":
                RecordRequest(value, tags);
                break;
            case "llmrec.feeds.served":
                Add(Tag(tags, "source") switch { "reranked" => Counted.FeedsReranked, "fallback" => Counted.FeedsFallback, _ => Counted.FeedsModel }, 1);
                if (Tag(tags, "degraded") is true) Add(Counted.FeedsDegraded, 1);
                break;
            case "llmrec.events.ingested":
                Add(Tag(tags, "outcome") is "duplicate" ? Counted.EventsDuplicate : Counted.EventsApplied, (long)value);
                break;
            case "llmrec.events.refused_batches": Add(Counted.BatchesRefused, (long)value); break;
            case "llmrec.event_stream.applied": Add(Counted.StreamApplied, (long)value); break;
            case "llmrec.event_stream.duplicates": Add(Counted.StreamDuplicates, (long)value); break;
            case "llmrec.event_stream.dead_lettered": Add(Counted.StreamDeadLettered, (long)value); break;
            case "llmrec.event_stream.apply_failures": Add(Counted.StreamApplyFailures, (long)value); break;
            case "llmrec.llm.calls":
                Add(Tag(tags, "outcome") switch { "success" => Counted.LlmSuccess, "failure" => Counted.LlmFailure, _ => Counted.LlmRejectedAnswer }, 1);
                break;
            case "llmrec.llm.latency": LlmLatency.RecordMilliseconds(value * 1000); break;
            case "llmrec.click_to_feed": ClickToFeed.RecordMilliseconds(value * 1000); break;
            case "llmrec.scorer.batch.duration": ScorerLatency.RecordMilliseconds(value * 1000); break;
            case "llmrec.llm.tokens":
                Add(Tag(tags, "direction") is "output" ? Counted.LlmTokensOutput : Counted.LlmTokensInput, (long)value);
                break;
            case "llmrec.llm.queue.shed": Add(Counted.LlmShed, (long)value); break;
            case "llmrec.llm.cache.hits": Add(Counted.LlmCacheHits, (long)value); break;
            case "llmrec.llm.queue.depth": Volatile.Write(ref _gauges[(int)Gauged.LlmQueueDepth], value); break;
            case "llmrec.llm.circuit.state": Volatile.Write(ref _gauges[(int)Gauged.LlmCircuitState], value); break;
            case "orleans-catalog-activation-created": Add(Counted.Activations, (long)value); break;
            case "orleans-catalog-activation-shutdown": Add(Counted.Deactivations, (long)value); break;
        }
    }

    private void RecordRequest(double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var status = Tag(tags, "http.response.status_code") is int code ? code : 0;
        if (status >= 500) Add(Counted.HttpServerErrors, 1);
        if (Tag(tags, "http.route") is not FeedRoute) return;
        if (status == 304) Add(Counted.FeedsNotModified, 1);
        FeedLatency.RecordMilliseconds(seconds * 1000);
        var source = Array.IndexOf(FeedSources, Tag(tags, ServiceMetrics.FeedSourceTag) as string);
        if (source >= 0) FeedLatencyBySource[source].RecordMilliseconds(seconds * 1000);
    }

    private void Add(Counted counted, long value) => Interlocked.Add(ref _totals[(int)counted], value);

    private static object? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name) return tag.Value;
        }
        return null;
    }

    public void Dispose() => _listener.Dispose();
}
