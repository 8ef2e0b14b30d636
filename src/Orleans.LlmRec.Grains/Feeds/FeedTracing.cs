using System.Diagnostics;

namespace Orleans.LlmRec.Grains.Feeds;

/// <summary>
/// The service's own trace spans (ActivitySource <c>Orleans.LlmRec</c>): the feed pipeline's score and re-rank stages,
/// children of the grain call that runs them (Orleans' activity propagation), itself a child of the HTTP request. With
/// no listener (tracing is off unless an OTLP endpoint is configured) starting a span costs a null check.
/// </summary>
public static class FeedTracing
{
    public const string SourceName = "Orleans.LlmRec";
    public const string ScoreSpan = "llmrec.feed.score";
    public const string RerankSpan = "llmrec.feed.rerank";

    public static readonly ActivitySource Source = new(SourceName);
}
