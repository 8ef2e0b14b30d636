using Microsoft.Extensions.Logging;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Llm.Queue;

namespace Orleans.LlmRec.Grains.Llm;

/// <summary>
/// One user grain activation's LLM work, none of it on the feed path: it hands profile and re-rank jobs to the silo's
/// <see cref="LlmWorkQueue"/> and returns; the queue delivers each result to <see cref="IUserLlmResults"/> on the same
/// grain. What it keeps is in memory only (versions issued, the re-rank in flight, why the last one failed, when the
/// user last read a feed); what is worth storing lives in <see cref="UserProfile"/> and <see cref="RerankScores"/>.
/// Nothing here throws to its caller: a feed or a write never fails because of the LLM side.
/// </summary>
public sealed partial class UserLlmSession
{
    /// <summary>The shortest wait the profile timer is set for, so a due time in the past never spins.</summary>
    private static readonly TimeSpan MinimumTimerDelay = TimeSpan.FromSeconds(1);

    private readonly string _userId;
    private readonly IUserLlmResults _results;
    private readonly UserLlmServices _llm;
    private readonly ItemCatalogue _catalogue;
    private readonly ILogger _logger;
    private DateTimeOffset? _lastFeedRequestAt;
    private long _lastIssuedVersion;
    private long _lastProfileRequestVersion;
    private RerankInFlight? _rerankInFlight;
    private string? _rerankFailure;
    private readonly IGrainBase? _timerHost;
    private readonly Func<Task> _onProfileDue;
    private IGrainTimer? _profileTimer;

    /// <param name="results">Where the queue delivers results: this user's grain.</param>
    /// <param name="state">The state the grain activated with; versions keep rising from what it stored.</param>
    /// <param name="timerHost">The grain whose timer checks for a profile due with time alone (none in tests).</param>
    /// <param name="onProfileDue">What the timer runs, on the grain's turn.</param>
    public UserLlmSession(string userId, IUserLlmResults results, UserLlmServices llm, ItemCatalogue catalogue, ILogger logger, UserState state,
        IGrainBase? timerHost = null, Func<Task>? onProfileDue = null)
    {
        _timerHost = timerHost;
        _onProfileDue = onProfileDue ?? (() => Task.CompletedTask);
        _userId = userId;
        _results = results;
        _llm = llm;
        _catalogue = catalogue;
        _logger = logger;
        // Versions must keep rising across activations even when this silo's clock lags the one that issued the last.
        _lastIssuedVersion = Math.Max(state.Profile.Version, state.Rerank.Version);
    }

    public bool Enabled => _llm.Enabled;

    public DateTimeOffset Now => _llm.Time.GetUtcNow();

    /// <summary>The user reads their feed now: jobs asked for soon after run as active-user work.</summary>
    public void FeedRequested(DateTimeOffset now) => _lastFeedRequestAt = now;

    /// <summary>A preference change is worth a new profile as much as N interactions are.</summary>
    public int PreferenceChangeWeight => _llm.Enabled ? _llm.Policy.InteractionThreshold : 1;

    /// <summary>Marks a profile asked for (in the state, persisted by the caller's write) when one is due; true if so.</summary>
    public bool MarkProfileIfDue(UserState state, DateTimeOffset now) => state.Profile.MarkRequestedIfDue(_llm.Policy, _llm.Enabled, now);

    /// <summary>Queues a profile job for a request <see cref="MarkProfileIfDue"/> marked.</summary>
    public void RequestProfile(UserState state, DateTimeOffset now)
    {
        try
        {
            var version = IssueVersion(now);
            _lastProfileRequestVersion = version;
            var request = LlmRequests.Profile(_userId, state.History, state.Preferences, _catalogue, _llm.Options.ProfileMaxItems);
            var results = _results;
            var job = new ProfileJob(request, PriorityAt(now), (result, _) => results.ApplyProfileAsync(LlmRequests.ToUpdate(result, version)));
            var queued = _llm.Queue.Enqueue(job);
            LogJobQueued(_logger, LlmJobKind.Profile, _userId, queued);
            if (queued == LlmEnqueueResult.Stopped) state.Profile.RestorePending(_llm.Policy, now);
        }
        catch (Exception e)
        {
            LogLlmRequestFailed(_logger, e, LlmJobKind.Profile, _userId);
            state.Profile.RestorePending(_llm.Policy, now);
        }
    }

    /// <summary>
    /// A profile job for the newest request failed or was shed: the profile stays as it was, and is asked for again
    /// after the minimum interval rather than after N more clicks (in memory; persisted by the next write).
    /// </summary>
    public void ProfileNotWritten(UserState state, ProfileUpdate update, DateTimeOffset now)
    {
        if (update.Version < _lastProfileRequestVersion) return;
        LogProfileNotWritten(_logger, _userId, update.Outcome, update.Error);
        state.Profile.RestorePending(_llm.Policy, now);
    }

    /// <summary>A profile answer was handed to the state (stored unless an older version).</summary>
    public void ProfileStored(ProfileUpdate update)
    {
        if (update.Outcome == LlmJobOutcome.Succeeded) LogProfileStored(_logger, _userId, update.Source, update.Text?.Length ?? 0);
    }

    /// <summary>Why the LLM cannot re-rank for this user now (their last job failed, or the circuit is open), or null.</summary>
    public string? RerankUnavailable()
    {
        if (!_llm.Enabled) return null;
        if (_rerankFailure is { } failure) return failure;
        return _llm.Status.IsAvailable ? null : $"LLM unavailable (circuit {_llm.Status.CircuitState})";
    }

    /// <summary>
    /// After a feed was built from scored candidates: asks for one re-rank of the best of them when the stored scores
    /// no longer cover them (<see cref="RerankScores.ReasonToAsk"/>), unless one for the same profile is in flight.
    /// Scored candidates exist only where a re-rank can help: a personal ranking, or the popular pool of a cold user
    /// with preferences or a profile. A feed that fell back because scoring failed has none.
    /// </summary>
    public void RequestRerankIfNeeded(UserState state, IReadOnlyList<ScoredCandidate> scored, DateTimeOffset now)
    {
        if (!_llm.Enabled || scored.Count == 0) return;
        try
        {
            var contextKey = state.RerankContextKey;
            if (_rerankInFlight is { } inFlight && inFlight.ContextKey == contextKey && now - inFlight.At < _llm.RerankPatience) return;
            var top = LlmRequests.TopByModelScore(scored, _llm.Options.RerankCandidates);
            var topItems = top.Select(c => c.Item).ToList();
            var reason = state.Rerank.ReasonToAsk(topItems, _catalogue, contextKey, _llm.Options.RerankRefreshUnscoredShare);
            if (reason is null) return;

            var version = IssueVersion(now);
            var request = LlmRequests.Rerank(_userId, state.Profile.Text, state.Preferences,
                LlmRequests.RecentItems(state.History, _catalogue, _llm.Options.ProfileMaxItems), top, _catalogue, top.Count);
            var results = _results;
            // The user is waiting on their feed now: an active-user job, ahead of background profile refreshes.
            var job = new RerankJob(request, LlmJobPriority.ActiveUser,
                (result, _) => results.ApplyRerankAsync(LlmRequests.ToUpdate(result, version, contextKey)));
            var queued = _llm.Queue.Enqueue(job);
            LogRerankQueued(_logger, _userId, reason, queued);
            if (queued == LlmEnqueueResult.Stopped)
            {
                _rerankFailure = "LLM work queue stopped";
                return;
            }
            _rerankInFlight = new RerankInFlight(version, contextKey, now);
        }
        catch (Exception e)
        {
            // The feed in hand is served; the next one says why it was not re-ranked.
            LogLlmRequestFailed(_logger, e, LlmJobKind.Rerank, _userId);
            _rerankFailure = $"LLM re-rank not requested ({e.GetType().Name}: {e.Message})";
        }
    }

    /// <summary>
    /// A re-rank answer arrived: it ends the wait for the job it answers (and any older one). Returns true for scores to
    /// store; a failure of the newest request is remembered for labelling the next feeds instead.
    /// </summary>
    public bool RerankAnswered(UserState state, RerankUpdate update)
    {
        if (_rerankInFlight is { } inFlight && update.Version >= inFlight.Version) _rerankInFlight = null;
        var newest = update.Version >= state.Rerank.Version;
        switch (update.Outcome)
        {
            case LlmJobOutcome.Succeeded:
                if (newest) _rerankFailure = null;
                LogRerankStored(_logger, _userId, update.Scores.Count);
                return true;
            case LlmJobOutcome.Failed or LlmJobOutcome.Shed when newest:
                _rerankFailure = $"LLM re-rank {(update.Outcome == LlmJobOutcome.Shed ? "shed" : "failed")} ({update.Error ?? "no reason given"})";
                LogRerankNotDone(_logger, _userId, update.Outcome, update.Error);
                state.RerankFailed();
                return false;
            default:
                return false;
        }
    }

    /// <summary>
    /// Sets the grain timer for the moment a pending profile refresh comes due with time alone (the <c>T</c> of
    /// "N interactions or T"), or clears it. It does not keep the grain alive: an idle user is refreshed when they
    /// come back.
    /// </summary>
    public void ScheduleProfileCheck(UserState state)
    {
        if (ProfileCheckDelay(state) is not { } delay || _timerHost is null)
        {
            _profileTimer?.Dispose();
            _profileTimer = null;
            return;
        }
        if (_profileTimer is not null)
        {
            _profileTimer.Change(delay, Timeout.InfiniteTimeSpan);
            return;
        }
        var onDue = _onProfileDue;
        _profileTimer = _timerHost.RegisterGrainTimer(_ => onDue(), new GrainTimerCreationOptions
        {
            DueTime = delay,
            Period = Timeout.InfiniteTimeSpan,
            Interleave = false,
            KeepAlive = false,
        });
    }

    /// <summary>How long until the profile check should run with no new event (at least a second), or null.</summary>
    internal TimeSpan? ProfileCheckDelay(UserState state)
    {
        if (state.Profile.NextCheck(_llm.Policy, _llm.Enabled) is not { } at) return null;
        var delay = at - Now;
        return delay < MinimumTimerDelay ? MinimumTimerDelay : delay;
    }

    private LlmJobPriority PriorityAt(DateTimeOffset now) =>
        _lastFeedRequestAt is { } last && now - last <= _llm.Options.ActiveUserWindow ? LlmJobPriority.ActiveUser : LlmJobPriority.Background;

    /// <summary>Versions are server ticks, strictly increasing per activation, so they also order across activations.</summary>
    internal long IssueVersion(DateTimeOffset now)
    {
        var version = Math.Max(now.UtcTicks, _lastIssuedVersion + 1);
        _lastIssuedVersion = version;
        return version;
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
