using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Llm;
using Orleans.LlmRec.Grains.Serving;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// The user grain of the feed path (ingest → <b>user grain</b> → candidates → score → re-rank → feed): keeps the
/// user's bounded history, folds it into an embedding when a feed is built after a change (not on every event: the
/// ingestion path only records and writes), and serves the feed from its cache or through <see cref="FeedPipeline"/>. Not reentrant: one call at a time, so state never interleaves across awaits.
/// Idle activations are collected after the silo's collection age (configured by the host). Its LLM work (profiles,
/// re-ranking) leaves the grain's turn through the silo's work queue and comes back as grain calls (UserGrain.Llm.cs).
/// </summary>
public sealed partial class UserGrain(
    [PersistentState(UserGrain.StateName, UserGrain.StorageName)] IPersistentState<UserState> state,
    ModelServing serving,
    FeedPipeline pipeline,
    IOptions<FeedOptions> options,
    UserLlmServices llm,
    ILogger<UserGrain> logger) : Grain, IUserGrain
{
    /// <summary>The grain storage the host must register (memory in development, Redis in production).</summary>
    public const string StorageName = "users";
    public const string StateName = "user";

    private readonly FeedOptions _options = options.Value;

    /// <summary>The last response served from the cached feed, for <c>k</c> with no exclusions and no explanation.</summary>
    private CachedResponse? _servedFromCache;

    private string UserId => this.GetPrimaryKeyString();

    private sealed record CachedResponse(StoredFeed From, int K, Feed Response);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // State written before the compact layout is moved over in memory; the next write stores the new layout.
        state.State.UpgradeStoredLayout();
        state.State.RestoreLastGoodFeed();
        if (!state.RecordExists)
        {
            // A user of the training data set starts from their training history, so their first feed is personal.
            // Kept in memory only; the first real write persists it.
            var training = serving.Catalogue.TrainingHistoryOf(UserId);
            if (training.Count > 0)
            {
                foreach (var x in training.TakeLast(UserState.HistoryCapacity))
                {
                    state.State.AddInteraction(new InteractionRecord { ItemId = x.ItemId, Type = x.Type, Value = x.Value, Timestamp = x.Timestamp });
                }
                state.State.SeededFromTrainingData = true;
                // The seeded history is what the first profile is written from, once this user shows up.
                if (llm.Enabled) LlmRefreshRules.CountChanges(state.State, state.State.History.Count, llm.Time.GetUtcNow());
            }
        }
        // Versions must keep rising across activations even when this silo's clock lags the one that issued the last.
        _lastIssuedVersion = Math.Max(state.State.ProfileVersion, state.State.RerankVersion);
        ScheduleProfileCheck();
        return Task.CompletedTask;
    }

    public async Task<ApplyResult> ApplyEventsAsync(IReadOnlyList<UserEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var result = new ApplyResult();
        var now = llm.Time.GetUtcNow();
        var profileDue = false;
        await UpdateAsync(s =>
        {
            result = Apply(s, events);
            if (result.Applied == 0) return false;
            if (llm.Enabled) LlmRefreshRules.CountChanges(s, result.Applied, now);
            // Decided before the write, so the debounce's clock is stored with the events that moved it.
            profileDue = MarkProfileRequestIfDue(s, now);
            return true;
        });
        if (profileDue) RequestProfile(now);
        ScheduleProfileCheck();
        return result;
    }

    public async Task<Feed> GetFeedAsync(FeedRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var model = serving.Current;
        var s = state.State;
        var now = llm.Time.GetUtcNow();
        _lastFeedRequestAt = now;
        // Profile refreshes that came due with time are asked for when the user is back (the timer covers the rest).
        // The changed counters are persisted by the next write.
        if (MarkProfileRequestIfDue(s, now)) RequestProfile(now);

        if (s.FeedIsCurrent && s.LastGoodFeed is { } current && current.ModelVersion == model.Version
            && request.Exclude.Count == 0 && !request.Explain && current.Items.Count >= request.K)
        {
            // The common read, answered with the same immutable object until the feed or k changes: no copy here,
            // none in Orleans (Feed is [Immutable]), and the API can keep its serialised form by reference.
            if (_servedFromCache is { } served && ReferenceEquals(served.From, current) && served.K == request.K) return served.Response;
            var response = ToFeed(current, request, [], model, degraded: false, note: null) with { IsShared = true };
            _servedFromCache = new CachedResponse(current, request.K, response);
            return response;
        }
        var requestExcluded = request.Exclude.ToHashSet(StringComparer.Ordinal);
        if (s.FeedIsCurrent && s.LastGoodFeed is { } cached && cached.ModelVersion == model.Version
            && cached.Items.Count(i => !requestExcluded.Contains(i.ItemId)) >= request.K)
        {
            return ToFeed(cached, request, requestExcluded, model, degraded: false, note: null);
        }

        var excluded = s.ExcludedItemIds();
        var depth = Math.Min(Math.Max(_options.CacheDepth, request.K + requestExcluded.Count), serving.Catalogue.Count);
        FoldedEmbedding? embedding;
        try
        {
            // Folded here, once per change of history (or of model), rather than on every event.
            embedding = EmbeddingOf(s, model, serving.Catalogue);
        }
        catch (Exception e) when (e is ArithmeticException or ArgumentException or InvalidOperationException)
        {
            // Like a scoring failure: the fallback ladder serves, and says why.
            LogFoldInFailed(logger, e, UserId);
            var fallback = FeedFallback.Build(s.LastGoodFeed, excluded, serving.Catalogue, depth, model.Version, now);
            return ToFeed(fallback, request, requestExcluded, model, degraded: true, note: $"fold-in failed ({e.Message}); served the last good feed and popular items");
        }
        var outcome = await pipeline.BuildAsync(new FeedInput
        {
            UserId = UserId,
            Model = model,
            Embedding = embedding,
            ExcludedItemIds = excluded,
            RecentItemIds = s.History.Select(h => h.ItemId).Reverse().Distinct().Take(50).ToList(),
            Preferences = s.Preferences,
            Profile = s.Profile,
            LastGoodFeed = s.LastGoodFeed,
            Depth = depth,
            RerankScores = llm.Enabled ? s.RerankScoreMap() : new Dictionary<string, float>(StringComparer.Ordinal),
            RerankUnavailable = RerankUnavailable(),
        });

        // Never awaited: the LLM's answer improves a later feed, this one is served now.
        RequestRerankIfNeeded(outcome, now);
        if (outcome.Personalised)
        {
            // A request with a long exclude list builds deeper than the cache holds; keep the state bounded.
            var bound = Math.Max(_options.CacheDepth, _options.MaxK);
            CacheFeed(outcome.Feed.Items.Count <= bound ? outcome.Feed : outcome.Feed with { Items = outcome.Feed.Items.Take(bound).ToList() });
        }
        var built = ToFeed(outcome.Feed, request, requestExcluded, model, outcome.Degraded, outcome.Note);
        if (outcome.Personalised && !outcome.Degraded && outcome.Note is null && request.Exclude.Count == 0 && !request.Explain)
        {
            // Exactly what a read of the cached feed would answer: the next such read returns this same object.
            built = built with { IsShared = true };
            _servedFromCache = new CachedResponse(state.State.LastGoodFeed!, request.K, built);
        }
        return built;
    }

    public Task<UserView> GetUserAsync() => Task.FromResult(ToView(state.State));

    public async Task<UserView> SetPreferencesAsync(string? preferences)
    {
        if (preferences is { Length: var length } && length > _options.MaxPreferencesLength)
        {
            throw new ArgumentException($"Preferences are {length} characters long; at most {_options.MaxPreferencesLength} are allowed.", nameof(preferences));
        }
        var text = string.IsNullOrWhiteSpace(preferences) ? null : preferences.Trim();
        var now = llm.Time.GetUtcNow();
        var profileDue = false;
        await UpdateAsync(s =>
        {
            if (s.Preferences == text) return false;
            s.Preferences = text;
            // Preferences steer the re-ranker, so the cached order may no longer be right.
            s.InvalidateFeed();
            // New words about their tastes are worth a new profile as much as N interactions are.
            LlmRefreshRules.CountChanges(s, llm.Enabled ? llm.Policy.InteractionThreshold : 1, now);
            profileDue = MarkProfileRequestIfDue(s, now);
            return true;
        });
        if (profileDue) RequestProfile(now);
        ScheduleProfileCheck();
        return ToView(state.State);
    }

    /// <summary>
    /// Applies a batch to a state: de-duplicates by event id, records, invalidates the feed. The embedding is dropped
    /// with the history change (<see cref="UserState.AddInteraction"/>) and folded again by <see cref="EmbeddingOf"/>
    /// when the next feed is built, so a burst of events costs one fold-in, and ingestion none.
    /// </summary>
    internal static ApplyResult Apply(UserState s, IReadOnlyList<UserEvent> events)
    {
        var applied = 0;
        var duplicates = 0;
        foreach (var e in events)
        {
            if (s.TryRecord(e)) applied++;
            else duplicates++;
        }
        if (applied > 0) s.InvalidateFeed();
        return new ApplyResult { Applied = applied, Duplicates = duplicates };
    }

    /// <summary>
    /// The user's embedding for <paramref name="model"/>: the one in memory when it was folded from the current history
    /// with this model, else folded now and kept. Null for a user with no history (cold start).
    /// </summary>
    internal static FoldedEmbedding? EmbeddingOf(UserState s, ServedModel model, ItemCatalogue catalogue)
    {
        if (s.History.Count == 0) return null;
        if (s.Embedding is { } e && e.ModelVersion == model.Version) return e;
        return s.Embedding = Fold(s, model, catalogue);
    }

    internal static FoldedEmbedding Fold(UserState s, ServedModel model, ItemCatalogue catalogue)
    {
        var interactions = InteractionSignals.ToFoldIn(s.History, s.DislikedItems, catalogue, model.Kind);
        var folded = model.FoldIn.Compute(interactions);
        var positives = interactions.Count(x => !x.Negative);
        return new FoldedEmbedding
        {
            Vector = folded.Vector,
            Bias = folded.Bias,
            ModelVersion = model.Version,
            // Only dislikes are no basis for a personal ranking: such a user is still cold.
            UsedInteractions = positives == 0 ? 0 : folded.UsedInteractions,
        };
    }

    private Feed ToFeed(StoredFeed stored, FeedRequest request, HashSet<string> requestExcluded, ServedModel model, bool degraded, string? note)
    {
        var positives = request.Explain ? PositiveItems(state.State) : [];
        var items = stored.Items
            .Where(i => !requestExcluded.Contains(i.ItemId))
            .Take(request.K)
            .Select(i => new FeedItem
            {
                ItemId = i.ItemId,
                Score = i.FinalScore ?? i.RerankScore ?? i.ModelScore,
                Title = serving.Catalogue.TitleOf(i.ItemId),
                Explanation = request.Explain ? FeedExplainer.Explain(i, model, serving.Catalogue, positives) : null,
            })
            .ToList();
        return new Feed
        {
            UserId = UserId,
            Items = items,
            Source = stored.Source,
            Degraded = degraded,
            ModelVersion = stored.ModelVersion,
            GeneratedAt = stored.GeneratedAt,
            Note = note,
            Profile = request.Explain ? state.State.Profile : null,
            ProfileUpdatedAt = request.Explain ? state.State.ProfileUpdatedAt : null,
        };
    }

    private List<int> PositiveItems(UserState s)
    {
        var positives = new List<int>();
        var disliked = s.DislikedItems.ToHashSet(StringComparer.Ordinal);
        foreach (var record in s.History)
        {
            if (InteractionSignals.IsPositive(record) && !disliked.Contains(record.ItemId)
                && serving.Catalogue.TryGetIndex(record.ItemId, out var index) && !positives.Contains(index))
            {
                positives.Add(index);
            }
        }
        return positives;
    }

    private UserView ToView(UserState s) => new()
    {
        UserId = UserId,
        RecentInteractions = s.History.AsEnumerable().Reverse()
            .Select(h => new RecentInteraction { ItemId = h.ItemId, Type = h.Type, Value = h.Value, Timestamp = h.Timestamp })
            .ToList(),
        Preferences = s.Preferences,
        Profile = s.Profile,
        ProfileUpdatedAt = s.ProfileUpdatedAt,
        TotalInteractions = s.TotalInteractions,
        EmbeddingModelVersion = EmbeddingOf(s, serving.Current, serving.Catalogue)?.ModelVersion,
        DislikedItems = s.DislikedItems.ToList(),
        ProfileSource = s.ProfileSource,
        RerankUpdatedAt = s.RerankUpdatedAt,
    };

    /// <summary>
    /// Keeps the feed as the user's current and last good one in memory; the next state write (the user's next event)
    /// persists its compact form. A feed can always be rebuilt, so writing storage on every rebuild would put a storage
    /// round trip on the feed path for nothing a restart could not recompute.
    /// </summary>
    private void CacheFeed(StoredFeed feed) => state.State.CacheFeed(feed);

    private async Task UpdateAsync(Func<UserState, bool> mutate, Func<UserState, bool>? reapply = null)
    {
        try
        {
            var again = reapply ?? mutate;
            await StateWriter.UpdateAsync(state, mutate, s =>
            {
                // Re-read after a conflict: state another silo wrote before the compact layout is moved over first.
                s.UpgradeStoredLayout();
                s.RestoreLastGoodFeed();
                return again(s);
            }, _options.MaxWriteAttempts, logger, UserId);
        }
        catch
        {
            // Memory now holds changes storage does not (event ids among them: a retry would count its events as
            // duplicates and lose them). A fresh activation reads what was really stored.
            DeactivateOnIdle();
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Fold-in failed for user {UserId}; serving the fallback feed")]
    private static partial void LogFoldInFailed(ILogger logger, Exception exception, string userId);
}
