namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>The consumer's durations, read from <see cref="EventStreamOptions"/> in this one place.</summary>
public sealed record EventStreamTimings(
    TimeSpan MinPollDelay,
    TimeSpan MaxPollDelay,
    TimeSpan MaxRetryDelay,
    TimeSpan ClaimMinIdle,
    TimeSpan ClaimInterval,
    TimeSpan IdleConsumerExpiry)
{
    public static EventStreamTimings From(EventStreamOptions options) => new(
        MinPollDelay: TimeSpan.FromMilliseconds(options.MinPollDelayMs),
        MaxPollDelay: TimeSpan.FromMilliseconds(options.MaxPollDelayMs),
        MaxRetryDelay: TimeSpan.FromMilliseconds(options.MaxRetryDelayMs),
        ClaimMinIdle: TimeSpan.FromMilliseconds(options.ClaimMinIdleMs),
        ClaimInterval: TimeSpan.FromMilliseconds(options.ClaimIntervalMs),
        IdleConsumerExpiry: TimeSpan.FromMinutes(options.IdleConsumerExpiryMinutes));

    /// <summary>How often dead consumers' names are looked for: a quarter of their expiry, at least once a minute.</summary>
    public TimeSpan IdleConsumerCheckInterval => TimeSpan.FromMinutes(Math.Max(1, IdleConsumerExpiry.TotalMinutes / 4));

    /// <summary>The pause after the next empty read: doubled, up to <see cref="MaxPollDelay"/>.</summary>
    public TimeSpan NextPollDelay(TimeSpan current) => Min(current * 2, MaxPollDelay);

    /// <summary>The pause before the next retry after a failure: doubled (and a little more), up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan NextRetryDelay(TimeSpan current) => Min(current * 2 + TimeSpan.FromMilliseconds(10), MaxRetryDelay);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
