using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Llm;
using Orleans.LlmRec.Grains.Metrics;
using Orleans.LlmRec.Grains.Serving;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// The user grain of the feed path (ingest → <b>user grain</b> → candidates → score → re-rank → feed): a thin
/// coordinator. Events land in <see cref="UserHistory"/>; a feed comes from <see cref="FeedCache"/> when it can
/// answer, else from <see cref="FeedPipeline"/>; profile and re-rank work leaves through <see cref="UserLlmSession"/>
/// and comes back through <see cref="IUserLlmResults"/>. Not reentrant, except that <see cref="ApplyEventsAsync"/>
/// interleaves (<see cref="IUserGrain"/>): events arriving while a write is in flight join the next write
/// (<see cref="CoalescedWrites{T}"/>), and a feed built across their arrival is not kept as current. State is stored in
/// two parts (<see cref="UserActivity"/>, appended to with events (<see cref="ActivityLogState"/>); the rest, a grain
/// state, only when it changes). Idle activations are
/// collected after the silo's collection age.
/// </summary>
public sealed partial class UserGrain(
    [PersistentState(UserGrain.StateName, UserGrain.StorageName)] IPersistentState<UserState> settings,
    ActivityLogs activityLogs,
    SiloModel serving,
    FeedPipeline pipeline,
    IOptions<FeedOptions> options,
    UserLlmServices llm,
    FeedFreshnessMetrics freshness,
    SiloLocalFeeds localFeeds,
    ILogger<UserGrain> logger,
    LiveCatalogue? liveCatalogue = null) : Grain, IUserGrain, IUserLlmResults
{
    /// <summary>The grain storage the host must register (memory in development, Redis in production).</summary>
    public const string StorageName = "users";
    public const string StateName = "user";

    private readonly FeedOptions _options = options.Value;
    private readonly FeedFreshness _freshness = new(freshness);
    private UserLlmSession _llm = null!;
    private UserStateStore _store = null!;

    private UserState State => _store.State;

    private string UserId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Memory may hold changes storage does not after a failed write: a fresh activation reads what was stored.
        var activity = activityLogs.For(UserId, this.GetGrainId());
        await activity.ReadStateAsync();
        _store = new UserStateStore(settings, activity, _options.MaxWriteAttempts, logger, UserId, _ => DeactivateOnIdle());
        _llm = new UserLlmSession(UserId, this.AsReference<IUserLlmResults>(), llm, serving.Catalogue, logger, State, this, OnProfileTimerAsync);
        if (!_store.RecordExists)
        {
            // A user of the training data set starts from their training history, so their first feed is personal.
            // Kept in memory only; the first real write persists it. It is what their first profile is written from.
            var seeded = State.History.SeedFrom(serving.Catalogue.TrainingHistoryOf(UserId));
            if (seeded > 0 && _llm.Enabled) State.Profile.CountChanges(seeded, _llm.Now);
        }
        _llm.ScheduleProfileCheck(State);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // The next activation may live on another silo: this one must not answer for it.
        localFeeds.Withdraw(UserId, this);
        return Task.CompletedTask;
    }

    public async Task<ApplyResult> ApplyEventsAsync(IReadOnlyList<UserEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var result = new ApplyResult();
        var now = _llm.Now;
        // The profile's debounce is decided before the write, so its clock is stored with the events that moved it.
        await UpdateAndRequestProfileAsync(s =>
        {
            result = s.Apply(events, now);
            if (result.Applied == 0) return StateParts.None;
            _freshness.EventsApplied();
            if (_llm.Enabled) s.Profile.CountChanges(result.Applied, now);
            // A newer last good feed rides along only now and then (FeedCache.SaveInterval).
            return s.Feed.SaveDue ? StateParts.Both : StateParts.Activity;
        }, now);
        if (result.Applied > 0 && liveCatalogue is not null) NewItemClicks.Record(events, State.History, serving, liveCatalogue);
        return result;
    }

    public async Task<Feed> GetFeedAsync(FeedRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var model = serving.Current;
        var s = State;
        var now = _llm.Now;
        _llm.FeedRequested(now);
        // Profile refreshes that came due with time are asked for when the user is back (the timer covers the rest).
        // The changed counters are persisted by the next write.
        if (_llm.MarkProfileIfDue(s, now)) _llm.RequestProfile(s, now);

        // The one cache decision: the current feed answers this request, or a feed is built.
        if (s.Feed.Answering(request, model.Version, serving.Catalogue.Generation) is { } current)
        {
            // A plain read gets the same immutable object until the feed or k changes: nothing copied or rebuilt.
            var cached = s.Feed.Reuse(request) ?? s.Feed.Remember(request, Respond(current, request, model, degraded: false, note: null));
            PublishLocalFeed();
            return cached;
        }
        // Click-to-feed freshness: this build reflects every event applied until now.
        var mark = _freshness.BuildStarting();
        try
        {
            var built = await BuildFeedAsync(request, model, now);
            _freshness.FeedBuilt(mark);
            PublishLocalFeed();
            return built;
        }
        catch
        {
            _freshness.BuildFailed(mark);
            throw;
        }
    }

    public Task<UserView> GetUserAsync() => Task.FromResult(View());

    public Task<UserInspection> InspectAsync() =>
        Task.FromResult(State.Inspect(View(), GrainContext.Address.SiloAddress?.ToParsableString() ?? RuntimeIdentity));

    public async Task<UserView> SetPreferencesAsync(string? preferences)
    {
        if (preferences is { Length: var length } && length > _options.MaxPreferencesLength)
        {
            throw new ArgumentException($"Preferences are {length} characters long; at most {_options.MaxPreferencesLength} are allowed.", nameof(preferences));
        }
        var now = _llm.Now;
        await UpdateAndRequestProfileAsync(s =>
        {
            if (!s.SetPreferences(preferences)) return StateParts.None;
            // New words about their tastes are worth a new profile as much as N interactions are.
            s.Profile.CountChanges(_llm.PreferenceChangeWeight, now);
            return StateParts.Both;
        }, now);
        return View();
    }

    public async Task ApplyProfileAsync(ProfileUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var now = _llm.Now;
        if (update.Version <= State.Profile.Version) return;
        if (update.Outcome is LlmJobOutcome.Failed or LlmJobOutcome.Shed)
        {
            _llm.ProfileNotWritten(State, update, now);
            _llm.ScheduleProfileCheck(State);
            return;
        }
        await UpdateAsync(s => s.StoreProfile(update, now) ? StateParts.Settings : StateParts.None);
        _llm.ProfileStored(update);
    }

    public async Task ApplyRerankAsync(RerankUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var now = _llm.Now;
        var answered = _llm.RerankAnswered(State, update);
        // A failed re-rank may have made the cached feed outdated (UserState.RerankFailed).
        PublishLocalFeed();
        if (answered) await UpdateAsync(s => s.StoreRerank(update, now) ? StateParts.Settings : StateParts.None);
    }

    private async Task<Feed> BuildFeedAsync(FeedRequest request, ModelSnapshot model, DateTimeOffset now)
    {
        var s = State;
        var changesWhenBuilt = s.Feed.Changes;
        var catalogueGeneration = serving.Catalogue.Generation;
        var context = FeedContext.For(UserId, s, model, serving.Catalogue, request, _options,
            _llm.Enabled ? s.Rerank.ByIndex(serving.Catalogue) : null, _llm.RerankUnavailable());
        try
        {
            // Folded here, once per change of history (or of model), rather than on every event.
            context = context with { Embedding = s.History.EmbeddingFor(model, serving.Catalogue) };
        }
        catch (Exception e) when (e is ArithmeticException or ArgumentException or InvalidOperationException)
        {
            // Like a scoring failure: the fallback ladder serves, and says why.
            LogFoldInFailed(logger, e, UserId);
            var fallback = FeedFallback.Build(context.LastGoodFeed, context.Excluded, serving.Catalogue, context.Depth, model.Version, now);
            return Respond(fallback, request, model, degraded: true, note: $"fold-in failed ({e.Message}); served the last good feed and popular items");
        }
        var outcome = await pipeline.BuildAsync(context);

        // Never awaited: the LLM's answer improves a later feed, this one is served now.
        _llm.RequestRerankIfNeeded(s, outcome.Scored, now);
        // Kept in memory; a later event's write persists its compact form (FeedCache.SaveDue). A feed can always be
        // rebuilt, so writing storage on every rebuild would put a storage round trip on the feed path for nothing.
        if (outcome.Personalised) s.Feed.Keep(outcome.Feed, Math.Max(_options.CacheDepth, _options.MaxK), changesWhenBuilt, catalogueGeneration);
        var built = Respond(outcome.Feed, request, model, outcome.Degraded, outcome.Note);
        // Exactly what a read of the cached feed would answer: the next such read returns this same object.
        return outcome.Personalised && !outcome.Degraded && outcome.Note is null ? s.Feed.Remember(request, built) : built;
    }

    private Feed Respond(RankedFeed ranked, FeedRequest request, ModelSnapshot model, bool degraded, string? note) =>
        FeedResponse.For(UserId, State, ranked, request, serving.Catalogue, model, degraded, note);

    private UserView View() => State.ToView(UserId, State.History.EmbeddingFor(serving.Current, serving.Catalogue)?.ModelVersion);

    /// <summary>Applies <paramref name="mutate"/>; when it changed something and a profile is now due, marks it (in the same write) and asks.</summary>
    private async Task UpdateAndRequestProfileAsync(Func<UserState, StateParts> mutate, DateTimeOffset now)
    {
        var profileDue = false;
        await UpdateAsync(s =>
        {
            var parts = mutate(s);
            if (parts == StateParts.None) return parts;
            profileDue = _llm.MarkProfileIfDue(s, now);
            return parts;
        });
        if (profileDue) _llm.RequestProfile(State, now);
        _llm.ScheduleProfileCheck(State);
    }

    private async Task OnProfileTimerAsync()
    {
        var now = _llm.Now;
        var due = false;
        await UpdateAsync(s => (due = _llm.MarkProfileIfDue(s, now)) ? StateParts.Activity : StateParts.None);
        if (due) _llm.RequestProfile(State, now);
        _llm.ScheduleProfileCheck(State);
    }

    /// <summary>Applies <paramref name="mutate"/> now and waits for the write that stores it (shared with changes made meanwhile).</summary>
    private Task UpdateAsync(Func<UserState, StateParts> mutate) => _store.Writes.UpdateAsync(s =>
    {
        var parts = mutate(s);
        // In the same turn as the change, before its write is acknowledged: no silo answers the outdated feed after.
        PublishLocalFeed();
        return parts;
    });

    /// <summary>Lets this silo answer plain reads of the current feed without a call (<see cref="SiloLocalFeeds"/>), or stops it.</summary>
    private void PublishLocalFeed()
    {
        if (State.Feed.SharedNow is { ModelVersion: { } version } shared) localFeeds.Publish(UserId, this, shared, State.Feed.SharedK, version, State.Feed.CatalogueGeneration);
        else localFeeds.Withdraw(UserId, this);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Fold-in failed for user {UserId}; serving the fallback feed")]
    private static partial void LogFoldInFailed(ILogger logger, Exception exception, string userId);
}
