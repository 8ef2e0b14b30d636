using System.ComponentModel.DataAnnotations;

namespace Orleans.LlmRec.Silo.Configuration;

/// <summary>
/// How the HTTP API behaves while Redis or a silo is unavailable (configuration section <c>Availability</c>): every
/// <c>/v1</c> call (but the admin ones) answers within <see cref="RequestBudget"/>, an outage as 503 with
/// <c>Retry-After</c>; <c>/health/ready</c> pings Redis (cached) to say whether writes can succeed.
/// </summary>
public sealed class AvailabilityOptions : IValidatableObject
{
    public const string SectionName = "Availability";

    /// <summary>
    /// The longest a feed, user, item or events call waits on the cluster before it answers 503 (outcome unknown:
    /// retrying is safe, events are de-duplicated by id). Orleans' own per-call timeouts are longer; the call may
    /// still complete after the answer.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "Availability:RequestBudget must lie in [00:00:00.100, 00:01:00].")]
    public TimeSpan RequestBudget { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The <c>Retry-After</c> a 503 carries (whole seconds, at least 1).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "Availability:RetryAfter must lie in [00:00:01, 00:10:00].")]
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long <c>/health/ready</c> waits for Redis to answer a PING before calling it unavailable.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:30", ErrorMessage = "Availability:RedisProbeTimeout must lie in [00:00:00.010, 00:00:30].")]
    public TimeSpan RedisProbeTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a PING's answer is reused, so a probe storm never becomes a Redis storm.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "Availability:RedisProbeInterval must lie in [00:00:00, 00:01:00].")]
    public TimeSpan RedisProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Failures of one kind (call and cause) are logged once per this window, then counted.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Availability:FailureLogWindow must lie in [00:00:00, 01:00:00].")]
    public TimeSpan FailureLogWindow { get; set; } = TimeSpan.FromSeconds(10);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RedisProbeTimeout >= RequestBudget)
        {
            yield return new ValidationResult(
                $"Availability:RedisProbeTimeout ({RedisProbeTimeout}) must be below Availability:RequestBudget ({RequestBudget}).",
                [nameof(RedisProbeTimeout)]);
        }
    }
}
