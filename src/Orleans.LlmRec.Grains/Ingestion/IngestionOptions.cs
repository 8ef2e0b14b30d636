using System.ComponentModel.DataAnnotations;

namespace Orleans.LlmRec.Grains.Ingestion;

/// <summary>Limits on ingested events (configuration section <c>Ingestion</c>).</summary>
public sealed class IngestionOptions : IValidatableObject
{
    public const string SectionName = "Ingestion";

    /// <summary>
    /// Events one batch may hold; a larger batch is refused whole (413). At most the event ids a user grain remembers
    /// (<see cref="Users.UserHistory.EventIdCapacity"/>), so a re-sent batch is recognised whole even when all of it is
    /// one user's.
    /// </summary>
    [Range(1, Users.UserHistory.EventIdCapacity, ErrorMessage = "Ingestion:MaxBatchSize must lie in [1, 1000]: a re-sent batch is recognised as duplicates only within each user's last 1,000 event ids.")]
    public int MaxBatchSize { get; set; } = 1_000;

    /// <summary>Request body limit of <c>POST /v1/events</c>, below Kestrel's 30 MB default.</summary>
    [Range(1_024, 100 * 1_024 * 1_024, ErrorMessage = "Ingestion:MaxBodyBytes must lie in [1 KiB, 100 MiB].")]
    public long MaxBodyBytes { get; set; } = 1_024 * 1_024;

    /// <summary>How far in the future a timestamp may lie (clock skew between clients and the service).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Ingestion:MaxFutureSkew must lie in [00:00:00, 1.00:00:00].")]
    public TimeSpan MaxFutureSkew { get; set; } = TimeSpan.FromMinutes(5);

    [Range(1, 1_024, ErrorMessage = "Ingestion:MaxIdLength must lie in [1, 1024].")]
    public int MaxIdLength { get; set; } = 128;

    /// <summary>The lowest rating a <c>rating</c> event may carry.</summary>
    [Range(-1_000_000, 1_000_000, ErrorMessage = "Ingestion:MinRating must lie in [-1e6, 1e6].")]
    public float MinRating { get; set; } = 0.5f;

    /// <summary>The highest rating a <c>rating</c> event may carry.</summary>
    [Range(-1_000_000, 1_000_000, ErrorMessage = "Ingestion:MaxRating must lie in [-1e6, 1e6].")]
    public float MaxRating { get; set; } = 5f;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!(MinRating < MaxRating))
        {
            yield return new ValidationResult($"Ingestion:MinRating ({MinRating}) must be below Ingestion:MaxRating ({MaxRating}).", [nameof(MinRating), nameof(MaxRating)]);
        }
    }
}
