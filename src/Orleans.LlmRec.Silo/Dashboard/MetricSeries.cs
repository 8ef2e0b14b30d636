namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>The running totals the dashboard keeps per host (one slot each in <see cref="DashboardMetrics"/>).</summary>
public enum Counted
{
    FeedsModel,
    FeedsReranked,
    FeedsFallback,
    FeedsDegraded,
    FeedsNotModified,
    HttpServerErrors,
    EventsApplied,
    EventsDuplicate,
    BatchesRefused,
    StreamApplied,
    StreamDuplicates,
    StreamDeadLettered,
    StreamApplyFailures,
    LlmSuccess,
    LlmFailure,
    LlmRejectedAnswer,
    LlmTokensInput,
    LlmTokensOutput,
    LlmShed,
    LlmCacheHits,
    Activations,
    Deactivations,
}

/// <summary>Values read from observable gauges when the sampler asks (once a second).</summary>
public enum Gauged
{
    LlmQueueDepth,
    LlmCircuitState,
}
