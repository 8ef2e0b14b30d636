using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Llm.Reranking;

/// <summary>One of the collaborative model's candidates; its id is <see cref="ItemInfo.ExternalId"/>.</summary>
public sealed record RerankCandidate(ItemInfo Item, float ModelScore)
{
    public string ItemId => Item.ExternalId;
}

/// <summary>What a re-ranker knows about the user.</summary>
/// <param name="Profile">The written preference profile, if any.</param>
/// <param name="Preferences">The user's own words about their tastes, if any.</param>
/// <param name="RecentItems">The user's latest items, newest first.</param>
public sealed record RerankUserContext(string? Profile, string? Preferences, IReadOnlyList<ItemInfo> RecentItems)
{
    public static RerankUserContext Empty { get; } = new(null, null, []);
}

/// <summary>Candidates of one user to score.</summary>
public sealed record RerankRequest(string UserId, RerankUserContext User, IReadOnlyList<RerankCandidate> Candidates);

/// <summary>Which re-ranker produced the scores.</summary>
public enum RerankSource
{
    Llm,

    /// <summary>The non-LLM fallback: TF-IDF cosine between the user's text and each item's text.</summary>
    TfIdf,
}

/// <summary>What validation dropped or changed in an answer.</summary>
/// <param name="Returned">Entries in the answer.</param>
/// <param name="Accepted">Entries kept.</param>
/// <param name="UnknownIds">Entries whose id is not a candidate (hallucinated, or echoed from injected text).</param>
/// <param name="DuplicateIds">Entries repeating an id already scored (the first one is kept).</param>
/// <param name="ClampedScores">Scores outside [0, 1] that were clamped into it.</param>
/// <param name="InvalidScores">Entries without a finite score.</param>
public readonly record struct RerankValidation(int Returned, int Accepted, int UnknownIds, int DuplicateIds, int ClampedScores, int InvalidScores);

/// <summary>
/// Scores in [0, 1] by item id, for some or all of the candidates sent. A failed result has no scores: the caller
/// keeps the feed it had. Use <see cref="RerankFusion"/> to combine the scores with the model's.
/// </summary>
public sealed record RerankResult(
    LlmResultStatus Status,
    IReadOnlyDictionary<string, float> Scores,
    RerankSource Source,
    LlmUsage Usage,
    RerankValidation Validation,
    string? Error = null)
{
    public bool Succeeded => Status == LlmResultStatus.Succeeded;

    public static RerankResult Failed(RerankSource source, string error, LlmUsage usage = default, RerankValidation validation = default) =>
        new(LlmResultStatus.Failed, EmptyScores, source, usage, validation, error);

    public static RerankResult Skipped(RerankSource source, string reason) =>
        new(LlmResultStatus.Skipped, EmptyScores, source, LlmUsage.None, default, reason);

    internal static IReadOnlyDictionary<string, float> EmptyScores { get; } = new Dictionary<string, float>(StringComparer.Ordinal);
}

/// <summary>
/// Scores a user's candidates. Implementations never throw for LLM trouble (a failed result comes back instead);
/// cancellation still throws.
/// </summary>
public interface IReranker
{
    RerankSource Source { get; }

    /// <summary>A rough token cost of <paramref name="request"/>, for the work queue's budget (0 when no LLM is used).</summary>
    int EstimateTokens(RerankRequest request);

    Task<RerankResult> RerankAsync(RerankRequest request, CancellationToken cancellationToken = default);
}
