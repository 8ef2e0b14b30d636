using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Llm.Profiles;

/// <summary>What a profile is written from.</summary>
/// <param name="UserId">External user id (for logs and de-duplication; never sent to the LLM).</param>
/// <param name="TopItems">The user's favourite items (highest rated or most engaged), best first.</param>
/// <param name="RecentItems">The user's latest items, newest first.</param>
/// <param name="Preferences">What the user wrote about their tastes, if anything.</param>
public sealed record ProfileRequest(
    string UserId,
    IReadOnlyList<ItemInfo> TopItems,
    IReadOnlyList<ItemInfo> RecentItems,
    string? Preferences);

/// <summary>Who wrote a profile.</summary>
public enum ProfileSource
{
    /// <summary>The LLM, from the user's items and preferences.</summary>
    Llm,

    /// <summary>The user's own preference text, used as is because the LLM is off.</summary>
    Preferences,
}

/// <summary>A written profile, or why there is none.</summary>
public sealed record ProfileResult(LlmResultStatus Status, string? Text, ProfileSource Source, LlmUsage Usage, string? Error = null)
{
    public bool Succeeded => Status == LlmResultStatus.Succeeded;

    public static ProfileResult Failed(ProfileSource source, string error, LlmUsage usage = default) =>
        new(LlmResultStatus.Failed, null, source, usage, error);

    public static ProfileResult Skipped(ProfileSource source, string reason) =>
        new(LlmResultStatus.Skipped, null, source, LlmUsage.None, reason);
}

/// <summary>
/// Writes a short natural-language preference profile for a user. Never throws for LLM trouble: failures come back
/// as <see cref="LlmResultStatus.Failed"/> and the caller keeps the profile it had. Cancellation still throws.
/// </summary>
public interface IProfileWriter
{
    /// <summary>A rough token cost of <paramref name="request"/>, for the work queue's budget (0 when no LLM is used).</summary>
    int EstimateTokens(ProfileRequest request);

    Task<ProfileResult> WriteProfileAsync(ProfileRequest request, CancellationToken cancellationToken = default);
}
