using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.Feeds;

/// <summary>
/// The user as of now, as every stage of the feed path sees them (the pipeline and the re-rank stage read the same
/// object), and how deep a feed to build. Items are dense catalogue indexes throughout; they become item ids only
/// when the feed is assembled (<see cref="FeedPipeline.AssembleFeed"/>) or a prompt is written.
/// </summary>
public sealed record FeedContext
{
    public required string UserId { get; init; }
    public required ModelSnapshot Model { get; init; }
    public FoldedEmbedding? Embedding { get; init; }

    /// <summary>Items never to show this user (history and dislikes), sorted ascending; request-level exclusions are applied later.</summary>
    public required int[] Excluded { get; init; }
    public string? Preferences { get; init; }
    public string? Profile { get; init; }
    public RankedFeed? LastGoodFeed { get; init; }
    public required int Depth { get; init; }

    /// <summary>Re-rank scores the grain holds from earlier LLM answers, by item index (empty when none).</summary>
    public IReadOnlyDictionary<int, float> RerankScores { get; init; } = EmptyScores;

    /// <summary>Why the LLM cannot re-rank now (its last job for this user failed, or its circuit is open); null when it can.</summary>
    public string? RerankUnavailable { get; init; }

    private static readonly IReadOnlyDictionary<int, float> EmptyScores = new Dictionary<int, float>();

    /// <summary>
    /// The context for <paramref name="request"/> from the user's state, without the embedding (folded by the caller,
    /// which answers a failed fold-in itself). The feed is built deep enough for the cache, or for k past the request's
    /// exclusions, within the catalogue.
    /// </summary>
    /// <param name="rerankScores">The stored re-rank scores to fuse, or null when the LLM is off.</param>
    public static FeedContext For(string userId, UserState user, ModelSnapshot model, ItemCatalogue catalogue, FeedRequest request,
        FeedOptions options, IReadOnlyDictionary<int, float>? rerankScores, string? rerankUnavailable)
    {
        var requestExcluded = request.Exclude.Count == 0 ? 0 : request.Exclude.Distinct(StringComparer.Ordinal).Count();
        return new FeedContext
        {
            UserId = userId,
            Model = model,
            Excluded = user.History.ExcludedIndexes(catalogue),
            Preferences = user.Preferences,
            Profile = user.Profile.Text,
            LastGoodFeed = user.Feed.LastGood,
            Depth = Math.Min(Math.Max(options.CacheDepth, request.K + requestExcluded), catalogue.Count),
            RerankScores = rerankScores ?? EmptyScores,
            RerankUnavailable = rerankUnavailable,
        };
    }

    /// <summary>A user with nothing the model can fold in (no history, or only unknown items).</summary>
    public bool IsColdStart => Embedding is null || Embedding.UsedInteractions == 0;

    /// <summary>True when <paramref name="item"/> is never to be shown to this user.</summary>
    public bool IsExcluded(int item) => FeedFallback.IsExcluded(Excluded, item);
}

/// <summary>A candidate as the score stage left it: dense item index and model score.</summary>
public readonly record struct ScoredCandidate(int Item, float ModelScore);

/// <summary>A candidate after the re-rank stage: its re-rank score and why, when the stage says.</summary>
public sealed record RerankedCandidate(int Item, float ModelScore, float? RerankScore, string? Reason)
{
    /// <summary>The fused score the order follows, when the stage fused scores; null keeps the model score as the shown score.</summary>
    public float? FinalScore { get; init; }
}

/// <param name="Items">Candidates in feed order.</param>
/// <param name="Reordered">False when the stage left the model order as it was (the feed's source stays <c>model</c>).</param>
public sealed record RerankedCandidates(IReadOnlyList<RerankedCandidate> Items, bool Reordered)
{
    /// <summary>
    /// Set when the stage could not do its full job without failing (e.g. the LLM is down and no earlier scores
    /// exist): the feed is served, marked degraded with this note, and not cached as current.
    /// </summary>
    public string? DegradedNote { get; init; }

    /// <summary>The candidates in model order, unchanged.</summary>
    public static RerankedCandidates ModelOrder(IReadOnlyList<ScoredCandidate> candidates, string? note = null) =>
        new(candidates.Select(c => new RerankedCandidate(c.Item, c.ModelScore, null, null)).ToList(), Reordered: false) { DegradedNote = note };
}
