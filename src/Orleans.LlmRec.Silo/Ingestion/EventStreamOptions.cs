using System.ComponentModel.DataAnnotations;

namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>
/// The Redis Streams consumer (configuration section <c>EventStream</c>). Off unless <see cref="Enabled"/>: the embedded
/// default has no Redis.
/// </summary>
public sealed class EventStreamOptions : IValidatableObject
{
    public const string SectionName = "EventStream";

    public bool Enabled { get; set; }

    /// <summary>StackExchange.Redis configuration string; unset = <c>Silo:RedisConnectionString</c>.</summary>
    public string? RedisConnectionString { get; set; }

    [Required(AllowEmptyStrings = false, ErrorMessage = "EventStream:Key must be set.")]
    public string Key { get; set; } = "llmrec:events";

    /// <summary>The consumer group all silos join, so each entry is applied by one silo.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "EventStream:Group must be set.")]
    public string Group { get; set; } = "llmrec";

    /// <summary>This silo's name in the group; unset = host name and silo port, unique per silo on one machine.</summary>
    public string? ConsumerName { get; set; }

    /// <summary>Where entries that can never be applied go, with the reason; empty = they are only logged and counted.</summary>
    public string? DeadLetterKey { get; set; } = "llmrec:events:dead";

    /// <summary>The dead-letter stream is trimmed to about this many entries.</summary>
    [Range(1, 100_000_000, ErrorMessage = "EventStream:DeadLetterMaxLength must lie in [1, 100000000].")]
    public int DeadLetterMaxLength { get; set; } = 100_000;

    /// <summary>
    /// Entries read per XREADGROUP; they are applied as one batch (one grain call and one state write per user). Larger
    /// batches give each user more events per write: with events spread over 610 users, 2,000 cut the silo's CPU per
    /// event by ~40 % against 500 (bench/RESULTS.md, "Serving").
    /// </summary>
    [Range(1, 10_000, ErrorMessage = "EventStream:ReadCount must lie in [1, 10000].")]
    public int ReadCount { get; set; } = 2_000;

    /// <summary>
    /// Batches applied at once. More than one keeps both cores busy when a batch holds few users (a replay in time
    /// order); a user's events still apply in stream order.
    /// </summary>
    [Range(1, 64, ErrorMessage = "EventStream:MaxBatchesInFlight must lie in [1, 64].")]
    public int MaxBatchesInFlight { get; set; } = 4;

    /// <summary>
    /// First pause after an empty read; it doubles up to <see cref="MaxPollDelayMs"/> while the stream stays empty
    /// (SE.Redis has no blocking read: it would stall the shared connection).
    /// </summary>
    [Range(1, 10_000, ErrorMessage = "EventStream:MinPollDelayMs must lie in [1, 10000].")]
    public int MinPollDelayMs { get; set; } = 1;

    [Range(1, 60_000, ErrorMessage = "EventStream:MaxPollDelayMs must lie in [1, 60000].")]
    public int MaxPollDelayMs { get; set; } = 50;

    /// <summary>Longest pause between retries while applying fails (Redis or a silo unavailable).</summary>
    [Range(10, 300_000, ErrorMessage = "EventStream:MaxRetryDelayMs must lie in [10, 300000].")]
    public int MaxRetryDelayMs { get; set; } = 5_000;

    /// <summary>
    /// Attempts after which an entry its user's grain keeps failing on, for a reason other than an outage (a timeout,
    /// an unavailable silo or Redis, a write conflict: those are retried for as long as they last), is set aside in the
    /// dead-letter stream with the reason, so one user with damaged state cannot hold up a silo's consumption. The
    /// failures must also span at least <see cref="MaxRetryDelayMs"/>.
    /// </summary>
    [Range(1, 1_000, ErrorMessage = "EventStream:MaxApplyAttempts must lie in [1, 1000].")]
    public int MaxApplyAttempts { get; set; } = 5;

    /// <summary>A pending entry idle this long belongs to a consumer presumed dead, and is claimed (XAUTOCLAIM).</summary>
    [Range(100, 86_400_000, ErrorMessage = "EventStream:ClaimMinIdleMs must lie in [100, 86400000].")]
    public int ClaimMinIdleMs { get; set; } = 30_000;

    /// <summary>How often this silo looks for such entries.</summary>
    [Range(100, 3_600_000, ErrorMessage = "EventStream:ClaimIntervalMs must lie in [100, 3600000].")]
    public int ClaimIntervalMs { get; set; } = 5_000;

    /// <summary>Consumers with nothing pending and idle this long are removed from the group (dead silos' names).</summary>
    [Range(1, 10_080, ErrorMessage = "EventStream:IdleConsumerExpiryMinutes must lie in [1, 10080].")]
    public int IdleConsumerExpiryMinutes { get; set; } = 60;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxPollDelayMs < MinPollDelayMs)
        {
            yield return new ValidationResult(
                $"EventStream:MaxPollDelayMs ({MaxPollDelayMs}) must not be below EventStream:MinPollDelayMs ({MinPollDelayMs}).",
                [nameof(MaxPollDelayMs)]);
        }
        if (DeadLetterKey is { Length: > 0 } dead && dead == Key)
        {
            yield return new ValidationResult($"EventStream:DeadLetterKey must differ from EventStream:Key ('{Key}').", [nameof(DeadLetterKey)]);
        }
    }
}
