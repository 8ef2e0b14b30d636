using System.ComponentModel.DataAnnotations;

namespace Orleans.LlmRec.Grains.Feeds;

/// <summary>How feeds are built and served (configuration section <c>Feed</c>).</summary>
public sealed class FeedOptions : IValidatableObject
{
    public const string SectionName = "Feed";

    [Range(1, 1_000, ErrorMessage = "Feed:DefaultK must lie in [1, 1000].")]
    public int DefaultK { get; set; } = 20;

    /// <summary>The largest k a request may ask for; larger is a 400.</summary>
    [Range(1, 1_000, ErrorMessage = "Feed:MaxK must lie in [1, 1000].")]
    public int MaxK { get; set; } = 100;

    /// <summary>The most item ids one request may exclude.</summary>
    [Range(0, 10_000, ErrorMessage = "Feed:MaxExclude must lie in [0, 10000].")]
    public int MaxExclude { get; set; } = 500;

    /// <summary>Items kept in the cached feed, so requests with small exclusions are served without scoring again.</summary>
    [Range(1, 1_000, ErrorMessage = "Feed:CacheDepth must lie in [1, 1000].")]
    public int CacheDepth { get; set; } = 50;

    /// <summary>
    /// Time the score stage may take before the feed falls back (last good feed, then popular items). Generous enough
    /// for a batched ONNX run under load, short enough that a stuck scorer never holds a feed request.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00", ErrorMessage = "Feed:ScoringBudget must lie in [00:00:00.001, 00:01:00].")]
    public TimeSpan ScoringBudget { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Candidates handed to the re-ranker; 0 = the feed depth (the identity re-ranker needs no more).</summary>
    [Range(0, 1_000, ErrorMessage = "Feed:RerankPoolSize must lie in [0, 1000].")]
    public int RerankPoolSize { get; set; }

    [Range(0, 100_000, ErrorMessage = "Feed:MaxPreferencesLength must lie in [0, 100000].")]
    public int MaxPreferencesLength { get; set; } = 1_000;

    /// <summary>Attempts at a state write that meets a conflicting write (re-read and re-apply in between).</summary>
    [Range(1, 10, ErrorMessage = "Feed:MaxWriteAttempts must lie in [1, 10].")]
    public int MaxWriteAttempts { get; set; } = 3;

    /// <summary>
    /// How long the silo holding a user's grain answers plain reads of their unchanged feed by itself, without a grain
    /// call (<c>SiloLocalFeeds</c>), after the grain last handed that feed out; 00:00:00 sends every read to the grain.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "Feed:LocalReadRefresh must lie in [00:00:00, 00:10:00].")]
    public TimeSpan LocalReadRefresh { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Share of feed slots kept for fresh items (published within <see cref="FreshItemWindow"/>) that best match the
    /// user, when they did not earn a place on their score: 0.1 = one slot in ten. 0 = off.
    /// </summary>
    [Range(0.0, 0.5, ErrorMessage = "Feed:ExplorationShare must lie in [0, 0.5].")]
    public double ExplorationShare { get; set; } = 0.1;

    /// <summary>How long after publication an item counts as fresh for <see cref="ExplorationShare"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00", ErrorMessage = "Feed:FreshItemWindow must lie in [00:00:01, 365.00:00:00].")]
    public TimeSpan FreshItemWindow { get; set; } = TimeSpan.FromDays(2);

    /// <summary>
    /// From this many items on, feeds take their candidates from the model's approximate item index (once it is built)
    /// and score only those exactly; below it every feed scores the whole catalogue. The default keeps ml-latest-small
    /// (9,742 items) and the embedded catalogue exact.
    /// </summary>
    [Range(1, int.MaxValue, ErrorMessage = "Feed:ApproximateAboveItems must be at least 1.")]
    public int ApproximateAboveItems { get; set; } = 50_000;

    /// <summary>Candidates asked of the index per item of the re-rank pool (before the user's exclusions are added).</summary>
    [Range(1, 100, ErrorMessage = "Feed:ApproximateCandidateFactor must lie in [1, 100].")]
    public int ApproximateCandidateFactor { get; set; } = 4;

    /// <summary>The most candidates asked of the index for one feed, however many items the user has excluded.</summary>
    [Range(1, 100_000, ErrorMessage = "Feed:ApproximateMaxCandidates must lie in [1, 100000].")]
    public int ApproximateMaxCandidates { get; set; } = 2_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // Otherwise every feed request without k would be refused as out of range.
        if (DefaultK > MaxK)
        {
            yield return new ValidationResult($"Feed:DefaultK ({DefaultK}) must not exceed Feed:MaxK ({MaxK}).", [nameof(DefaultK), nameof(MaxK)]);
        }
        // The index must be asked for at least a full re-rank pool, or the approximate path would serve shorter feeds.
        var pool = Math.Max(CacheDepth, RerankPoolSize);
        if (ApproximateMaxCandidates < pool)
        {
            yield return new ValidationResult(
                $"Feed:ApproximateMaxCandidates ({ApproximateMaxCandidates}) must be at least the re-rank pool (Feed:CacheDepth / Feed:RerankPoolSize, {pool}).",
                [nameof(ApproximateMaxCandidates)]);
        }
    }
}
