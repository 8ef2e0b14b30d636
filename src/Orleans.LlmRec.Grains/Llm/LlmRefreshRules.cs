using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Llm.Profiles;

namespace Orleans.LlmRec.Grains.Llm;

/// <summary>
/// When a user grain asks the LLM layer for work, so that a stream of clicks costs a handful of calls, not one per
/// click. Plain functions of the user's state and the clock: tested without a cluster, and replayed by the benchmark's
/// simulated click stream.
/// </summary>
public static class LlmRefreshRules
{
    public const string FirstRerank = "first re-rank";
    public const string ContextChanged = "profile or preferences changed";
    public const string CandidatesDrifted = "candidates drifted";

    /// <summary>
    /// Counts changes towards the next profile: every applied interaction with the LLM on (the profile is written from
    /// the history); with it off only preference changes count, since the profile is then the preference text itself.
    /// </summary>
    public static void CountChanges(UserState state, int changes, DateTimeOffset now)
    {
        if (changes <= 0) return;
        if (state.InteractionsSinceProfileRequest == 0) state.PendingSince = now;
        state.InteractionsSinceProfileRequest += changes;
    }

    /// <summary>
    /// Whether a profile should be asked for now. With the LLM on: <see cref="ProfileRefreshPolicy"/> (after
    /// <c>N</c> changes or <c>T</c> with at least one, never within the minimum interval); a user never profiled
    /// waits for <c>N</c> changes too, or for <c>T</c> after their first pending one, so one click does not buy a
    /// profile. With the LLM off: whenever something is pending (no call is spent).
    /// </summary>
    public static bool ProfileDue(UserState state, ProfileRefreshPolicy policy, bool llmEnabled, DateTimeOffset now)
    {
        var pending = state.InteractionsSinceProfileRequest;
        if (pending <= 0) return false;
        if (!llmEnabled) return true;
        if (state.ProfileRequestedAt is null)
        {
            return pending >= policy.InteractionThreshold
                || (state.PendingSince is { } since && now - since >= policy.MaxAge);
        }
        return policy.ShouldRefresh(pending, state.ProfileRequestedAt, now);
    }

    /// <summary>Records that a profile was asked for now: the pending count starts again from zero.</summary>
    public static void MarkProfileRequested(UserState state, DateTimeOffset now)
    {
        state.ProfileRequestedAt = now;
        state.InteractionsSinceProfileRequest = 0;
        state.PendingSince = null;
    }

    /// <summary>
    /// Marks a profile request whose job failed or was shed as pending again, so the next check (after the minimum
    /// interval) asks once more instead of waiting for <c>N</c> new interactions.
    /// </summary>
    public static void RestorePending(UserState state, ProfileRefreshPolicy policy, DateTimeOffset now)
    {
        if (state.InteractionsSinceProfileRequest == 0) state.PendingSince = now;
        state.InteractionsSinceProfileRequest = Math.Max(state.InteractionsSinceProfileRequest, policy.InteractionThreshold);
    }

    /// <summary>When <see cref="ProfileDue"/> may next turn true with no new event, or null when nothing is pending.</summary>
    public static DateTimeOffset? NextProfileCheck(UserState state, ProfileRefreshPolicy policy, bool llmEnabled)
    {
        var pending = state.InteractionsSinceProfileRequest;
        if (pending <= 0 || !llmEnabled) return null;
        if (state.ProfileRequestedAt is not { } requested)
        {
            return state.PendingSince is { } since ? since + policy.MaxAge : null;
        }
        return pending >= policy.InteractionThreshold ? requested + policy.MinInterval : policy.NextCheck(requested);
    }

    /// <summary>
    /// Why the top candidates should be re-ranked now, or null when the stored scores still serve: the user has no
    /// scores yet; the scores were asked with another profile or other preferences; or at least
    /// <paramref name="unscoredShare"/> of the top candidates have no score (the user saw some, new ones came in).
    /// </summary>
    public static string? RerankReason(
        IReadOnlyList<string> topCandidateIds,
        IReadOnlyDictionary<string, float> storedScores,
        string? storedContextKey,
        string currentContextKey,
        double unscoredShare)
    {
        if (topCandidateIds.Count == 0) return null;
        if (storedContextKey is null || storedScores.Count == 0) return FirstRerank;
        if (!string.Equals(storedContextKey, currentContextKey, StringComparison.Ordinal)) return ContextChanged;
        var unscored = topCandidateIds.Count(id => !storedScores.ContainsKey(id));
        var threshold = Math.Max(1, (int)Math.Ceiling(unscoredShare * topCandidateIds.Count));
        return unscored >= threshold ? CandidatesDrifted : null;
    }
}
