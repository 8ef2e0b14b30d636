using Orleans.LlmRec.Llm;

namespace Orleans.LlmRec.Silo.Metrics;

/// <summary>
/// The meters this service publishes, all of them exported at <c>GET /metrics</c> in Prometheus' text format (OpenTelemetry,
/// <see cref="Hosting.MetricsRegistration"/>); this is the one place to name them. Every instrument is created through the host's
/// <c>IMeterFactory</c>, so <c>dotnet-counters monitor -n Orleans.LlmRec.Silo --counters Orleans.LlmRec.Llm</c> works too.
/// </summary>
public static class LlmRecMeters
{
    /// <summary>Orleans' own instruments (activations, request latency, storage latency).</summary>
    public const string Orleans = "Microsoft.Orleans";

    /// <summary>
    /// The LLM layer: <c>llmrec.llm.calls</c>, <c>.errors</c>, <c>.latency</c>, <c>.tokens</c>, <c>.cache.hits</c>,
    /// <c>.queue.depth</c>, <c>.queue.shed</c>, <c>.rerank.rejected_ids</c>, <c>.rerank.clamped_scores</c>,
    /// <c>.circuit.state</c>, <c>.circuit.transitions</c> (docs/llm.md, "Metrics").
    /// </summary>
    public const string Llm = LlmMetrics.MeterName;

    /// <summary>The chat client pipeline's OpenTelemetry instruments (token usage and operation duration per call).</summary>
    public const string ChatClient = "Experimental.Microsoft.Extensions.AI";

    /// <summary>Feeds served by source and degraded, events ingested by outcome (<see cref="ServiceMetrics"/>).</summary>
    public const string Service = ServiceMetrics.MeterName;

    /// <summary>The Redis Streams consumer: entries read, applied, dead-lettered, reclaimed.</summary>
    public const string EventStream = Ingestion.EventStreamMetrics.MeterName;

    /// <summary>Click-to-feed freshness, <c>llmrec.click_to_feed</c> (<see cref="Grains.Metrics.FeedFreshnessMetrics"/>).</summary>
    public const string Feeds = Grains.Metrics.FeedFreshnessMetrics.MeterName;

    /// <summary>The scorer's batch duration and size by execution provider (<see cref="global::Orleans.LlmRec.Scoring.ScorerMetrics"/>).</summary>
    public const string Scoring = global::Orleans.LlmRec.Scoring.ScorerMetrics.MeterName;

    /// <summary>ASP.NET Core's own: <c>http.server.request.duration</c> per route and status, active requests, Kestrel connections.</summary>
    public static IReadOnlyList<string> AspNetCore { get; } = ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel"];

    public static IReadOnlyList<string> All { get; } = [Orleans, Llm, ChatClient, Service, EventStream, Feeds, Scoring, .. AspNetCore];
}
