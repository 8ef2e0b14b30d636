namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// The part of a user's state that every event changes, stored on its own (<see cref="ActivityLogState"/>, appended to
/// rather than rewritten) so an event writes only it: the history with its event-id fingerprints, and the profile schedule. The rest
/// (preferences, profile text, re-rank scores, the last good feed) is <see cref="UserState"/>'s own, written only when it changes.
/// </summary>
[GenerateSerializer, Alias("llmrec.UserActivity")]
public sealed class UserActivity
{
    [Id(0)] public UserHistory History { get; private set; } = new();

    [Id(1)] public ProfileSchedule Schedule { get; private set; } = new();

    /// <summary>An activity as a stored snapshot holds it (<see cref="ActivitySnapshotCodec"/>).</summary>
    internal static UserActivity Of(UserHistory history, ProfileSchedule schedule) => new() { History = history, Schedule = schedule };
}

/// <summary>Which stored parts of a user a change touched (what the next write must store).</summary>
[Flags]
public enum StateParts
{
    None = 0,

    /// <summary><see cref="UserActivity"/>: history, fingerprints, profile schedule.</summary>
    Activity = 1,

    /// <summary><see cref="UserState"/>'s own stored fields: preferences, profile text, re-rank scores, last good feed.</summary>
    Settings = 2,

    Both = Activity | Settings,
}
