namespace Orleans.LlmRec.Abstractions;

/// <summary>
/// One user: recent interactions, folded-in embedding, profile and cached feed. Keyed by the external user id.
/// The feed path is: ingest → user grain → candidates → score → re-rank → feed.
/// </summary>
[Alias("llmrec.IUserGrain")]
public interface IUserGrain : IGrainWithStringKey
{
    /// <summary>Applies events (already validated) in order; events whose id was seen before are skipped.</summary>
    [Alias("ApplyEvents")]
    Task<ApplyResult> ApplyEventsAsync(IReadOnlyList<UserEvent> events);

    [Alias("GetFeed")]
    Task<Feed> GetFeedAsync(FeedRequest request);

    [Alias("GetUser")]
    Task<UserView> GetUserAsync();

    [Alias("SetPreferences")]
    Task SetPreferencesAsync(string? preferences);
}
