namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>How the consumer's pauses grow: doubled after each empty read (<see cref="PollBackoff"/>) or failure, up to the configured maximum.</summary>
public static class StreamBackoff
{
    /// <summary>How often dead consumers' names are looked for: a quarter of their expiry, at least once a minute.</summary>
    public static TimeSpan IdleConsumerCheckInterval(EventStreamOptions options) =>
        TimeSpan.FromMinutes(Math.Max(1, options.IdleConsumerExpiry.TotalMinutes / 4));

    /// <summary>The pauses between reads of the stream (<see cref="PollBackoff"/>) from the options.</summary>
    public static PollBackoff Polls(EventStreamOptions options, TimeProvider time) =>
        PollBackoff.WithIdleCeiling(options.MinPollDelay, options.MaxPollDelay, options.IdlePollAfter, options.IdlePollDelay, time);

    /// <summary>The pause before the next retry after a failure: doubled (and a little more), up to <see cref="EventStreamOptions.MaxRetryDelay"/>.</summary>
    public static TimeSpan NextRetryDelay(TimeSpan current, EventStreamOptions options) =>
        Min(current * 2 + TimeSpan.FromMilliseconds(10), options.MaxRetryDelay);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
