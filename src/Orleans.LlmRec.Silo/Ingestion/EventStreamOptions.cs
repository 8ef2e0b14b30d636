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
    /// batches give each user more events per write, which is where a silo's CPU per event goes down: 200k random
    /// clicks of 610 users took 58.7k writes in reads of 2,000 and 11.7k in reads of 10,000, and silo CPU per event fell
    /// from ~26 to ~14 µs (bench/RESULTS.md "Serving"). A read of 10,000 entries holds a few MB.
    /// </summary>
    [Range(1, 10_000, ErrorMessage = "EventStream:ReadCount must lie in [1, 10000].")]
    public int ReadCount { get; set; } = 10_000;

    /// <summary>
    /// Batches applied at once. More than one keeps both cores busy when a batch holds few users (a replay in time
    /// order); a user's events still apply in stream order. Two reads of <see cref="ReadCount"/> keep about as many
    /// grain calls in flight as four of 2,000 did (a million-user replay activates a grain per entry), and measured as
    /// fast as four.
    /// </summary>
    [Range(1, 64, ErrorMessage = "EventStream:MaxBatchesInFlight must lie in [1, 64].")]
    public int MaxBatchesInFlight { get; set; } = 2;

    /// <summary>
    /// First pause after an empty read; it doubles up to <see cref="MaxPollDelay"/> while the stream stays empty, and on
    /// to <see cref="IdlePollDelay"/> once it is idle (SE.Redis has no blocking read: it would stall the shared
    /// connection). After a read that found entries the next read goes at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10", ErrorMessage = "EventStream:MinPollDelay must lie in [00:00:00.001, 00:00:10].")]
    public TimeSpan MinPollDelay { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Longest pause between empty reads while the stream is busy (found entries within <see cref="IdlePollAfter"/>).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00", ErrorMessage = "EventStream:MaxPollDelay must lie in [00:00:00.001, 00:01:00].")]
    public TimeSpan MaxPollDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// After this long without an entry the stream counts as idle, and the pause between reads doubles on from
    /// <see cref="MaxPollDelay"/> up to <see cref="IdlePollDelay"/>; the first entry found snaps it back to
    /// <see cref="MinPollDelay"/>. A stream with entries at least this often is read as before.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "EventStream:IdlePollAfter must lie in [00:00:00, 01:00:00].")]
    public TimeSpan IdlePollAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest pause between reads of an idle stream: an idle silo reads about twice a second instead of twenty times,
    /// and the first event after a quiet spell waits up to this long. Below <see cref="MaxPollDelay"/> (or equal) the
    /// pause never grows past <see cref="MaxPollDelay"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00", ErrorMessage = "EventStream:IdlePollDelay must lie in [00:00:00.001, 00:01:00].")]
    public TimeSpan IdlePollDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest pause between retries while applying fails (Redis or a silo unavailable).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00", ErrorMessage = "EventStream:MaxRetryDelay must lie in [00:00:00.010, 00:05:00].")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Attempts after which an entry its user's grain keeps failing on, for a reason other than an outage (a timeout,
    /// an unavailable silo or Redis, a write conflict: those are retried for as long as they last), is set aside in the
    /// dead-letter stream with the reason, so one user with damaged state cannot hold up a silo's consumption. The
    /// failures must also span at least <see cref="MaxRetryDelay"/>.
    /// </summary>
    [Range(1, 1_000, ErrorMessage = "EventStream:MaxApplyAttempts must lie in [1, 1000].")]
    public int MaxApplyAttempts { get; set; } = 5;

    /// <summary>A pending entry idle this long belongs to a consumer presumed dead, and is claimed (XAUTOCLAIM).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00", ErrorMessage = "EventStream:ClaimMinIdle must lie in [00:00:00.100, 1.00:00:00].")]
    public TimeSpan ClaimMinIdle { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often this silo looks for such entries.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "EventStream:ClaimInterval must lie in [00:00:00.100, 01:00:00].")]
    public TimeSpan ClaimInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Consumers with nothing pending and idle this long are removed from the group (dead silos' names).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00", ErrorMessage = "EventStream:IdleConsumerExpiry must lie in [00:01:00, 7.00:00:00].")]
    public TimeSpan IdleConsumerExpiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Removes entries every consumer group has acknowledged (<c>XTRIM MINID</c>, <see cref="EventStreamTrimmer"/>);
    /// never one that is pending or undelivered. Off keeps every entry, and Redis' memory grows with the stream.
    /// </summary>
    public bool TrimAcknowledged { get; set; } = true;

    /// <summary>How often the stream is trimmed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "EventStream:TrimInterval must lie in [00:00:00.100, 01:00:00].")]
    public TimeSpan TrimInterval { get; set; } = TimeSpan.FromSeconds(10);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxPollDelay < MinPollDelay)
        {
            yield return new ValidationResult(
                $"EventStream:MaxPollDelay ({MaxPollDelay}) must not be below EventStream:MinPollDelay ({MinPollDelay}).",
                [nameof(MaxPollDelay)]);
        }
        if (DeadLetterKey is { Length: > 0 } dead && dead == Key)
        {
            yield return new ValidationResult($"EventStream:DeadLetterKey must differ from EventStream:Key ('{Key}').", [nameof(DeadLetterKey)]);
        }
    }
}
