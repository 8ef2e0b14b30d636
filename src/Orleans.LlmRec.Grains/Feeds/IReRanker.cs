using Orleans.LlmRec.Grains.Catalogue;

namespace Orleans.LlmRec.Grains.Feeds;

/// <summary>
/// The re-rank stage of the feed path (candidates → score → <b>re-rank</b> → feed): reorders the model's best
/// candidates with what the model cannot see (free-text preferences, an LLM-written profile, diversity). The default
/// is <see cref="IdentityReRanker"/>; the LLM layer registers its own.
/// </summary>
public interface IReRanker
{
    /// <summary>Short name shown in logs and explanations.</summary>
    string Name { get; }

    /// <summary>
    /// Returns the candidates in the order to show, best first (a subset is allowed, not new items). Throwing or
    /// cancelling keeps the model order and marks the feed degraded.
    /// </summary>
    Task<ReRankResult> ReRankAsync(ReRankContext context, IReadOnlyList<ScoredCandidate> candidates, CancellationToken cancellationToken);
}

/// <summary>What a re-ranker knows of the user beside the candidates.</summary>
public sealed record ReRankContext(
    string UserId,
    string? Preferences,
    string? Profile,
    IReadOnlyList<string> RecentItemIds,
    ItemCatalogue Catalogue,
    int Depth)
{
    /// <summary>Scores from earlier LLM answers the user grain keeps, by item id; a re-ranker that reads them never calls the LLM itself.</summary>
    public IReadOnlyDictionary<string, float> RerankScores { get; init; } = new Dictionary<string, float>(StringComparer.Ordinal);

    /// <summary>Why the LLM cannot re-rank for this user now, or null.</summary>
    public string? RerankUnavailable { get; init; }
}

/// <summary>A candidate as the score stage left it: dense item index and model score.</summary>
public readonly record struct ScoredCandidate(int Item, float ModelScore);

/// <summary>A candidate after re-ranking: its new score and why, when the re-ranker says.</summary>
public sealed record ReRankedCandidate(int Item, float ModelScore, float? RerankScore, string? Reason)
{
    /// <summary>The fused score the order follows, when the re-ranker fused scores; null keeps the model score as the shown score.</summary>
    public float? FinalScore { get; init; }
}

/// <param name="Items">Candidates in feed order.</param>
/// <param name="Reordered">False when the re-ranker left the model order as it was (the feed's source stays <c>model</c>).</param>
public sealed record ReRankResult(IReadOnlyList<ReRankedCandidate> Items, bool Reordered)
{
    /// <summary>
    /// Set when the re-ranker could not do its full job without failing (e.g. the LLM is down and no earlier scores
    /// exist): the feed is served, marked degraded with this note, and not cached as current.
    /// </summary>
    public string? DegradedNote { get; init; }
}

/// <summary>The default re-ranker: keeps the model's order.</summary>
public sealed class IdentityReRanker : IReRanker
{
    public string Name => "identity";

    public Task<ReRankResult> ReRankAsync(ReRankContext context, IReadOnlyList<ScoredCandidate> candidates, CancellationToken cancellationToken) =>
        Task.FromResult(new ReRankResult(candidates.Select(c => new ReRankedCandidate(c.Item, c.ModelScore, null, null)).ToList(), Reordered: false));
}
