namespace Orleans.LlmRec.Abstractions;

/// <summary>
/// One user, as clients see them: events in, feed and user view out, preferences set. Keyed by the external user id.
/// The feed path is: ingest → user grain → candidates → score → re-rank → feed. The LLM's answers come back to the
/// same grain through <see cref="IUserLlmResults"/>, which no client calls.
/// </summary>
/// <remarks>
/// Response timeouts are short on purpose (Orleans' default is 30 s): a feed that is not ready in a few seconds is
/// worth less than an error the caller can retry, and a timeout only means "outcome unknown", never a resend.
/// </remarks>
[Alias("llmrec.IUserGrain")]
public interface IUserGrain : IGrainWithStringKey
{
    /// <summary>
    /// Applies events (already validated) in order; events whose id was seen before are skipped. Completes once the
    /// storage write holding them succeeded. Interleaves with the grain's other calls, so events that arrive while a
    /// write is in flight are stored together by the next one. The list is not copied for a call within the silo
    /// (<c>[Immutable]</c>): callers hand over a list they never change again, and the grain only reads it.
    /// </summary>
    [Alias("ApplyEvents")]
    [Orleans.Concurrency.AlwaysInterleave]
    [ResponseTimeout(UserGrainTimeouts.Write)]
    Task<ApplyResult> ApplyEventsAsync([Immutable] IReadOnlyList<UserEvent> events);

    [Alias("GetFeed")]
    [ResponseTimeout(UserGrainTimeouts.Feed)]
    Task<Feed> GetFeedAsync(FeedRequest request);

    [Alias("GetUser")]
    [ResponseTimeout(UserGrainTimeouts.Read)]
    Task<UserView> GetUserAsync();

    /// <summary>The operator's view of this user (the dashboard's inspector); changes nothing.</summary>
    [Alias("Inspect")]
    [ResponseTimeout(UserGrainTimeouts.Read)]
    [Orleans.Concurrency.ReadOnly]
    Task<UserInspection> InspectAsync();

    [Alias("SetPreferences")]
    [ResponseTimeout(UserGrainTimeouts.Write)]
    Task<UserView> SetPreferencesAsync(string? preferences);
}

/// <summary>Response timeouts of <see cref="IUserGrain"/> and <see cref="IUserLlmResults"/> calls (TimeSpan text, as attributes need constants).</summary>
public static class UserGrainTimeouts
{
    /// <summary>A feed is scored within a budget of tens of milliseconds and falls back otherwise; 3 s covers activation and a storage read.</summary>
    public const string Feed = "00:00:03";
    public const string Read = "00:00:03";

    /// <summary>Writes wait for the storage round trip, retried once on a write conflict.</summary>
    public const string Write = "00:00:10";

    /// <summary>A model reload reads the model directory, exports and checks ONNX graphs and runs a test inference, on every silo.</summary>
    public const string ModelReload = "00:03:00";

    /// <summary>Longer than <see cref="ModelReload"/>: a call that fans out to every silo outlives the slowest of them, so it can report that silo.</summary>
    public const string ModelReloadEverywhere = "00:03:30";
}
