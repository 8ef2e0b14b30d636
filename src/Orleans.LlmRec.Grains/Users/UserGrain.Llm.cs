using Microsoft.Extensions.Logging;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Llm;
using Orleans.LlmRec.Llm.Queue;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// The user grain's LLM work, none of it on the feed path: it decides when a profile or a re-rank is worth a call
/// (<see cref="LlmRefreshRules"/>), hands the job to the silo's <see cref="LlmWorkQueue"/> and returns; the queue
/// calls <see cref="ApplyProfileAsync"/> / <see cref="ApplyRerankAsync"/> on this grain when the job ends, and the
/// result is stored for the next feed. Results carry the version the grain issued, so late answers never overwrite
/// newer ones.
/// </summary>
public sealed partial class UserGrain
{
    /// <summary>The shortest wait the profile timer is set for, so a due time in the past never spins.</summary>
    private static readonly TimeSpan MinimumTimerDelay = TimeSpan.FromSeconds(1);

    private DateTimeOffset? _lastFeedRequestAt;
    private long _lastIssuedVersion;
    private long _lastProfileRequestVersion;
    private RerankInFlight? _rerankInFlight;
    private string? _rerankFailure;
    private IGrainTimer? _profileTimer;

    public async Task ApplyProfileAsync(ProfileUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var now = llm.Time.GetUtcNow();
        if (update.Version <= state.State.ProfileVersion) return;
        switch (update.Outcome)
        {
            case LlmJobOutcome.Succeeded when !string.IsNullOrWhiteSpace(update.Text):
                await UpdateAsync(s =>
                {
                    if (update.Version <= s.ProfileVersion) return false;
                    s.Profile = update.Text;
                    s.ProfileUpdatedAt = now;
                    s.ProfileSource = update.Source;
                    s.ProfileVersion = update.Version;
                    // The profile steers the re-ranker: the next feed is built again, and asks for scores that read it.
                    s.InvalidateFeed();
                    return true;
                });
                LogProfileStored(logger, UserId, update.Source, update.Text.Length);
                break;
            case LlmJobOutcome.Skipped when update.Source == LlmRequests.PreferencesSource:
                // With the LLM off the profile is the user's own words; they cleared them, so there is no profile.
                await UpdateAsync(s =>
                {
                    if (update.Version <= s.ProfileVersion || s.Profile is null) return false;
                    s.Profile = null;
                    s.ProfileUpdatedAt = now;
                    s.ProfileSource = null;
                    s.ProfileVersion = update.Version;
                    s.InvalidateFeed();
                    return true;
                });
                break;
            case LlmJobOutcome.Failed or LlmJobOutcome.Shed when update.Version >= _lastProfileRequestVersion:
                // The profile stays as it was; ask again after the minimum interval rather than after N more clicks.
                LogProfileNotWritten(logger, UserId, update.Outcome, update.Error);
                LlmRefreshRules.RestorePending(state.State, llm.Policy, now);
                ScheduleProfileCheck();
                break;
        }
    }

    public async Task ApplyRerankAsync(RerankUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var now = llm.Time.GetUtcNow();
        if (_rerankInFlight is { } inFlight && update.Version >= inFlight.Version) _rerankInFlight = null;
        switch (update.Outcome)
        {
            case LlmJobOutcome.Succeeded:
                if (update.Version >= state.State.RerankVersion) _rerankFailure = null;
                await UpdateAsync(s =>
                {
                    var changed = s.MergeRerankScores(update.Scores, update.Version, update.ContextKey, now);
                    // The next feed fuses the new scores (final = (1-α)·norm(model) + α·llm).
                    if (changed) s.InvalidateFeed();
                    return changed;
                });
                LogRerankStored(logger, UserId, update.Scores.Count);
                break;
            case LlmJobOutcome.Failed or LlmJobOutcome.Shed when update.Version >= state.State.RerankVersion:
                _rerankFailure = $"LLM re-rank {(update.Outcome == LlmJobOutcome.Shed ? "shed" : "failed")} ({update.Error ?? "no reason given"})";
                LogRerankNotDone(logger, UserId, update.Outcome, update.Error);
                // A cached feed made while the answer was pending says "not degraded"; with no scores to fall back on,
                // or only scores written for an earlier profile or preferences, that is no longer true, so the next
                // request builds it again and labels it (in memory: the feed is not stored).
                if (state.State.RerankScores.Count == 0
                    || state.State.RerankContextKey != LlmRequests.ContextKey(state.State.Profile, state.State.Preferences))
                {
                    state.State.InvalidateFeed();
                }
                break;
        }
    }

    /// <summary>Asks for a profile if <see cref="LlmRefreshRules.ProfileDue"/> says so, and marks it asked (in memory).</summary>
    private bool MarkProfileRequestIfDue(UserState s, DateTimeOffset now)
    {
        if (!LlmRefreshRules.ProfileDue(s, llm.Policy, llm.Enabled, now)) return false;
        LlmRefreshRules.MarkProfileRequested(s, now);
        return true;
    }

    /// <summary>Queues a profile job; never throws (the caller's feed or write must not fail because of the LLM side).</summary>
    private void RequestProfile(DateTimeOffset now)
    {
        try
        {
            QueueProfile(now);
        }
        catch (Exception e)
        {
            LogLlmRequestFailed(logger, e, LlmJobKind.Profile, UserId);
            LlmRefreshRules.RestorePending(state.State, llm.Policy, now);
        }
    }

    private void QueueProfile(DateTimeOffset now)
    {
        var version = NextVersion(now);
        _lastProfileRequestVersion = version;
        var request = LlmRequests.Profile(UserId, state.State, serving.Catalogue, llm.Options.ProfileMaxItems);
        var self = this.AsReference<IUserGrain>();
        var job = new ProfileJob(request, PriorityAt(now), (result, _) => self.ApplyProfileAsync(LlmRequests.ToUpdate(result, version)));
        var queued = llm.Queue.Enqueue(job);
        LogJobQueued(logger, LlmJobKind.Profile, UserId, queued);
        if (queued == LlmEnqueueResult.Stopped)
        {
            LlmRefreshRules.RestorePending(state.State, llm.Policy, now);
        }
    }

    /// <summary>
    /// After a feed was built from model scores: asks for one re-rank of the top candidates when the stored scores no
    /// longer cover them (<see cref="LlmRefreshRules.RerankReason"/>), unless one for the same profile is in flight.
    /// </summary>
    private void RequestRerankIfNeeded(FeedOutcome outcome, DateTimeOffset now)
    {
        try
        {
            QueueRerankIfNeeded(outcome, now);
        }
        catch (Exception e)
        {
            // The feed in hand is served; the next one says why it was not re-ranked.
            LogLlmRequestFailed(logger, e, LlmJobKind.Rerank, UserId);
            _rerankFailure = $"LLM re-rank not requested ({e.GetType().Name}: {e.Message})";
        }
    }

    private void QueueRerankIfNeeded(FeedOutcome outcome, DateTimeOffset now)
    {
        // Scored candidates exist only where a re-rank can help: a personal ranking, or the popular pool of a cold user
        // with preferences or a profile (whose feed is labelled fallback until the LLM's scores reorder it). A feed
        // that fell back because scoring failed has none.
        if (!llm.Enabled || outcome.Scored.Count == 0) return;
        var s = state.State;
        var contextKey = LlmRequests.ContextKey(s.Profile, s.Preferences);
        if (_rerankInFlight is { } inFlight && inFlight.ContextKey == contextKey && now - inFlight.At < llm.RerankPatience) return;

        var top = LlmRequests.TopByModelScore(outcome.Scored, llm.Options.RerankCandidates);
        var topIds = top.Select(c => serving.Catalogue.ItemIdOf(c.Item)).ToList();
        var reason = LlmRefreshRules.RerankReason(topIds, s.RerankScoreMap(), s.RerankContextKey, contextKey, llm.Options.RerankRefreshUnscoredShare);
        if (reason is null) return;

        var version = NextVersion(now);
        var request = LlmRequests.Rerank(UserId, s.Profile, s.Preferences,
            LlmRequests.RecentItems(s, serving.Catalogue, llm.Options.ProfileMaxItems), top, serving.Catalogue, llm.Options.RerankCandidates);
        var self = this.AsReference<IUserGrain>();
        // The user is waiting on their feed now: an active-user job, ahead of background profile refreshes.
        var job = new RerankJob(request, LlmJobPriority.ActiveUser,
            (result, _) => self.ApplyRerankAsync(LlmRequests.ToUpdate(result, version, contextKey)));
        var queued = llm.Queue.Enqueue(job);
        LogRerankQueued(logger, UserId, reason, queued);
        if (queued == LlmEnqueueResult.Stopped)
        {
            _rerankFailure = "LLM work queue stopped";
            return;
        }
        _rerankInFlight = new RerankInFlight(version, contextKey, now);
    }

    /// <summary>Why the LLM cannot re-rank for this user now (their last job failed, or the circuit is open), or null.</summary>
    private string? RerankUnavailable()
    {
        if (!llm.Enabled) return null;
        if (_rerankFailure is { } failure) return failure;
        return llm.Status.IsAvailable ? null : $"LLM unavailable (circuit {llm.Status.CircuitState})";
    }

    private LlmJobPriority PriorityAt(DateTimeOffset now) =>
        _lastFeedRequestAt is { } last && now - last <= llm.Options.ActiveUserWindow ? LlmJobPriority.ActiveUser : LlmJobPriority.Background;

    /// <summary>Versions are server ticks, strictly increasing per activation, so they also order across activations.</summary>
    private long NextVersion(DateTimeOffset now)
    {
        var version = Math.Max(now.UtcTicks, _lastIssuedVersion + 1);
        _lastIssuedVersion = version;
        return version;
    }

    /// <summary>
    /// Sets the grain timer for the moment a pending profile refresh comes due with time alone (the <c>T</c> of
    /// "N interactions or T"). It does not keep the grain alive: an idle user is refreshed when they come back.
    /// </summary>
    private void ScheduleProfileCheck()
    {
        var due = LlmRefreshRules.NextProfileCheck(state.State, llm.Policy, llm.Enabled);
        if (due is not { } at)
        {
            _profileTimer?.Dispose();
            _profileTimer = null;
            return;
        }
        var delay = at - llm.Time.GetUtcNow();
        if (delay < MinimumTimerDelay) delay = MinimumTimerDelay;
        if (_profileTimer is null)
        {
            _profileTimer = this.RegisterGrainTimer(OnProfileTimerAsync, new GrainTimerCreationOptions
            {
                DueTime = delay,
                Period = Timeout.InfiniteTimeSpan,
                Interleave = false,
                KeepAlive = false,
            });
        }
        else
        {
            _profileTimer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task OnProfileTimerAsync(CancellationToken cancellationToken)
    {
        var now = llm.Time.GetUtcNow();
        var due = false;
        await UpdateAsync(s => due = MarkProfileRequestIfDue(s, now));
        if (due) RequestProfile(now);
        ScheduleProfileCheck();
    }

    private sealed record RerankInFlight(long Version, string ContextKey, DateTimeOffset At);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not request an LLM {Kind} job for user {UserId}")]
    private static partial void LogLlmRequestFailed(ILogger logger, Exception exception, LlmJobKind kind, string userId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "LLM {Kind} job for user {UserId}: {Result}")]
    private static partial void LogJobQueued(ILogger logger, LlmJobKind kind, string userId, LlmEnqueueResult result);

    [LoggerMessage(Level = LogLevel.Debug, Message = "LLM re-rank for user {UserId} ({Reason}): {Result}")]
    private static partial void LogRerankQueued(ILogger logger, string userId, string reason, LlmEnqueueResult result);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stored a {Source} profile of {Length} characters for user {UserId}")]
    private static partial void LogProfileStored(ILogger logger, string userId, string source, int length);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stored {Count} re-rank scores for user {UserId}")]
    private static partial void LogRerankStored(ILogger logger, string userId, int count);

    [LoggerMessage(Level = LogLevel.Debug, Message = "No new profile for user {UserId}: {Outcome} ({Error}); the previous one stays")]
    private static partial void LogProfileNotWritten(ILogger logger, string userId, LlmJobOutcome outcome, string? error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "No new re-rank scores for user {UserId}: {Outcome} ({Error}); stored scores stay")]
    private static partial void LogRerankNotDone(ILogger logger, string userId, LlmJobOutcome outcome, string? error);
}
