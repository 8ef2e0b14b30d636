using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Llm.Profiles;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// The user's written profile and when to ask for the next one, so that a stream of clicks costs a handful of LLM
/// calls, not one per click: changes are counted, and a profile is due after <c>N</c> of them or after <c>T</c> with at
/// least one (<see cref="ProfileRefreshPolicy"/>). Answers carry the version the grain issued when it asked, so a late
/// answer never overwrites a newer one. The text is stored with the user's rarely-changing settings; the schedule
/// (<see cref="ProfileSchedule"/>) changes with every event and is stored with the history (<see cref="UserActivity"/>).
/// </summary>
[GenerateSerializer, Alias("llmrec.UserProfile")]
public sealed class UserProfile
{
    /// <summary>Written by <see cref="LlmSource"/> (the LLM) or <see cref="PreferencesSource"/> (the user's own words, LLM off).</summary>
    public const string LlmSource = "llm";
    public const string PreferencesSource = "preferences";

    /// <summary>The profile text; null until one was written.</summary>
    [Id(0)] public string? Text { get; private set; }
    [Id(1)] public DateTimeOffset? UpdatedAt { get; private set; }

    /// <summary><see cref="LlmSource"/> or <see cref="PreferencesSource"/>: who wrote <see cref="Text"/>.</summary>
    [Id(2)] public string? Source { get; private set; }

    /// <summary>Version of the stored text; older answers arriving late are ignored.</summary>
    [Id(3)] public long Version { get; private set; }

    [NonSerialized] private ProfileSchedule _schedule = new();

    /// <summary>Changes counted since a profile was last asked for.</summary>
    public int PendingChanges { get => _schedule.PendingChanges; private set => _schedule.PendingChanges = value; }

    /// <summary>When the oldest change counted in <see cref="PendingChanges"/> arrived (server clock).</summary>
    public DateTimeOffset? PendingSince { get => _schedule.PendingSince; private set => _schedule.PendingSince = value; }

    /// <summary>When a profile was last asked for (the debounce's clock); null if never.</summary>
    public DateTimeOffset? RequestedAt { get => _schedule.RequestedAt; private set => _schedule.RequestedAt = value; }

    /// <summary>Keeps the schedule in <paramref name="schedule"/> (the one stored with the history) from now on.</summary>
    internal void UseSchedule(ProfileSchedule schedule) => _schedule = schedule;

    /// <summary>
    /// Counts changes towards the next profile: the grain counts every applied interaction with the LLM on (the
    /// profile is written from the history), and a preference change as a full threshold's worth either way.
    /// </summary>
    public void CountChanges(int changes, DateTimeOffset now)
    {
        if (changes <= 0) return;
        if (PendingChanges == 0) PendingSince = now;
        PendingChanges += changes;
    }

    /// <summary>
    /// Whether a profile should be asked for now. With the LLM on: the policy (after <c>N</c> changes or <c>T</c> with
    /// at least one, never within the minimum interval); a user never profiled waits for <c>N</c> changes too, or for
    /// <c>T</c> after their first pending one, so one click does not buy a profile. With the LLM off: whenever
    /// something is pending (no call is spent).
    /// </summary>
    public bool IsDue(ProfileRefreshPolicy policy, bool llmEnabled, DateTimeOffset now)
    {
        if (PendingChanges <= 0) return false;
        if (!llmEnabled) return true;
        if (RequestedAt is null)
        {
            return PendingChanges >= policy.InteractionThreshold || (PendingSince is { } since && now - since >= policy.MaxAge);
        }
        return policy.ShouldRefresh(PendingChanges, RequestedAt, now);
    }

    /// <summary>Marks a profile asked for now when one is due (the pending count starts again from zero); true if so.</summary>
    public bool MarkRequestedIfDue(ProfileRefreshPolicy policy, bool llmEnabled, DateTimeOffset now)
    {
        if (!IsDue(policy, llmEnabled, now)) return false;
        RequestedAt = now;
        PendingChanges = 0;
        PendingSince = null;
        return true;
    }

    /// <summary>
    /// Marks a request whose job failed, was shed or could not be queued as pending again, so the next check (after the
    /// minimum interval) asks once more instead of waiting for <c>N</c> new interactions.
    /// </summary>
    public void RestorePending(ProfileRefreshPolicy policy, DateTimeOffset now)
    {
        if (PendingChanges == 0) PendingSince = now;
        PendingChanges = Math.Max(PendingChanges, policy.InteractionThreshold);
    }

    /// <summary>When <see cref="IsDue"/> may next turn true with no new change, or null when nothing is pending.</summary>
    public DateTimeOffset? NextCheck(ProfileRefreshPolicy policy, bool llmEnabled)
    {
        if (PendingChanges <= 0 || !llmEnabled) return null;
        if (RequestedAt is not { } requested) return PendingSince is { } since ? since + policy.MaxAge : null;
        return PendingChanges >= policy.InteractionThreshold ? requested + policy.MinInterval : policy.NextCheck(requested);
    }

    /// <summary>
    /// Stores a written profile, or clears the profile when the user cleared the preferences it was (LLM off). Returns
    /// true when the profile changed; older versions, failures and other skips change nothing.
    /// </summary>
    public bool TryStore(ProfileUpdate update, DateTimeOffset now)
    {
        if (update.Version <= Version) return false;
        switch (update.Outcome)
        {
            case LlmJobOutcome.Succeeded when !string.IsNullOrWhiteSpace(update.Text):
                Set(update.Text, update.Source, update.Version, now);
                return true;
            case LlmJobOutcome.Skipped when update.Source == PreferencesSource && Text is not null:
                // With the LLM off the profile is the user's own words; they cleared them, so there is no profile.
                Set(null, null, update.Version, now);
                return true;
            default:
                return false;
        }
    }

    private void Set(string? text, string? source, long version, DateTimeOffset now)
    {
        Text = text;
        Source = source;
        Version = version;
        UpdatedAt = now;
    }
}

/// <summary>When the next profile is due: stored with the history, because every applied event moves it.</summary>
[GenerateSerializer, Alias("llmrec.ProfileSchedule")]
public sealed class ProfileSchedule
{
    [Id(0)] public int PendingChanges { get; internal set; }
    [Id(1)] public DateTimeOffset? PendingSince { get; internal set; }
    [Id(2)] public DateTimeOffset? RequestedAt { get; internal set; }
}
