using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http.Features;
using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Silo.Metrics;

/// <summary>
/// What the HTTP API served, for the operator's dashboard: feeds by source and whether they were degraded (a rising
/// <c>fallback</c> or <c>degraded=true</c> share is the first sign of a scoring problem), and ingested events by outcome.
/// Latency per route comes from ASP.NET Core's own <c>http.server.request.duration</c>; on the feed route it carries the
/// feed's source as the tag <see cref="FeedSourceTag"/>, so p50/p99 by source is one PromQL query (infra/README.md).
/// </summary>
public sealed class ServiceMetrics
{
    public const string MeterName = "Orleans.LlmRec.Service";

    /// <summary>The tag a feed request's <c>http.server.request.duration</c> carries: model, reranked or fallback.</summary>
    public const string FeedSourceTag = "llmrec.feed.source";

    private readonly Counter<long> _feeds;
    private readonly Counter<long> _events;
    private readonly Counter<long> _refusedBatches;

    public ServiceMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _feeds = meter.CreateCounter<long>("llmrec.feeds.served", "{feed}", "Feeds returned by GET /v1/users/{userId}/feed, by source and degraded.");
        _events = meter.CreateCounter<long>("llmrec.events.ingested", "{event}", "Events of accepted POST /v1/events batches, by outcome (applied or duplicate).");
        _refusedBatches = meter.CreateCounter<long>("llmrec.events.refused_batches", "{batch}", "POST /v1/events batches refused whole by validation.");
    }

    public void FeedServed(Feed feed, HttpContext? http = null)
    {
        var source = SourceName(feed.Source);
        _feeds.Add(1, new KeyValuePair<string, object?>("source", source), new KeyValuePair<string, object?>("degraded", feed.Degraded ? BoxedTrue : BoxedFalse));
        // Present only while someone listens to ASP.NET Core's request metrics (the exporter, the dashboard).
        http?.Features.Get<IHttpMetricsTagsFeature>()?.Tags.Add(new KeyValuePair<string, object?>(FeedSourceTag, source));
    }

    // Tag values are objects: boxed once, not on every feed.
    private static readonly object BoxedTrue = true;
    private static readonly object BoxedFalse = false;

    public void BatchIngested(IngestResponse response)
    {
        _events.Add(response.Accepted, new KeyValuePair<string, object?>("outcome", "applied"));
        _events.Add(response.Duplicates, new KeyValuePair<string, object?>("outcome", "duplicate"));
    }

    public void BatchRefused() => _refusedBatches.Add(1);

    private static string SourceName(FeedSource source) => source switch
    {
        FeedSource.Model => "model",
        FeedSource.Reranked => "reranked",
        FeedSource.Fallback => "fallback",
        _ => source.ToString().ToLowerInvariant(),
    };
}
