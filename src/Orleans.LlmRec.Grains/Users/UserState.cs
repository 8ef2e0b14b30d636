using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// What <see cref="UserGrain"/> persists. Every collection is bounded by a named constant, so a user's state stays a
/// few kilobytes however active they are (src/Orleans.LlmRec.Silo/README.md, "State size"). The rules that change it live here, next to the
/// data, so they are tested without a cluster.
/// </summary>
[GenerateSerializer, Alias("llmrec.UserState")]
public sealed class UserState
{
    /// <summary>Interactions kept, newest last; older ones fall off (they still shaped earlier embeddings).</summary>
    public const int HistoryCapacity = 200;

    /// <summary>Recent event ids remembered for de-duplication: a re-sent batch within this window is applied once.</summary>
    public const int EventIdCapacity = 1_000;

    /// <summary>Disliked items remembered beyond the history window, so a dislike keeps an item out of the feed longer.</summary>
    public const int DislikedCapacity = 500;

    /// <summary>Interactions kept, newest last; older ones fall off (they still shaped earlier embeddings). Stored compactly.</summary>
    [Id(20)] public InteractionHistory History { get; set; } = new(HistoryCapacity);

    /// <summary>64-bit hashes of recent event ids, oldest first (<see cref="EventIdHash"/>): 8 bytes each instead of a string.</summary>
    [Id(21)] public EventIdWindow RecentEventIds { get; set; } = new(EventIdCapacity);

    // Ids 0 and 1 held the history and the event-id hashes as lists before they were stored compactly (ids 20 and 21);
    // state written then is read through them once and moved over (UpgradeStoredLayout). Ids 2, 6 and 7 held the
    // embedding, the cached feed and its currency flag, no longer stored (see below); never reuse them.
    [Id(0)] public List<InteractionRecord>? LegacyHistory { get; set; }
    [Id(1)] public List<ulong>? LegacyRecentEventIds { get; set; }

    /// <summary>
    /// The history folded with the served model, computed when a feed is built (or the user is viewed) and kept in
    /// memory until the history changes. Not stored: it is a pure function of the history, the dislikes and the model,
    /// so storing it only made every event's write larger, and folding on every event cost more than the write.
    /// </summary>
    [field: NonSerialized]
    public FoldedEmbedding? Embedding { get; set; }

    [Id(3)] public string? Preferences { get; set; }

    /// <summary>Profile text the LLM layer writes from the history; null until it has.</summary>
    [Id(4)] public string? Profile { get; set; }
    [Id(5)] public DateTimeOffset? ProfileUpdatedAt { get; set; }

    /// <summary>
    /// The last feed the full pipeline produced; served again while current, and as a fallback when scoring fails.
    /// In memory with its explanations; what storage keeps of it is <see cref="SavedLastGoodFeed"/>.
    /// </summary>
    [field: NonSerialized]
    public StoredFeed? LastGoodFeed { get; set; }

    /// <summary>
    /// The last good feed as stored: its model version and, per item, the id and model score (a few hundred bytes, not
    /// the explanations), written with the user's next event, never on the feed path. A restarted or re-activated grain
    /// gets it back as <see cref="LastGoodFeed"/> (not current), so the fallback ladder's middle rung survives.
    /// </summary>
    [Id(22)] public SavedFeed? SavedLastGoodFeed { get; set; }

    /// <summary>False once anything that shapes the feed changed after <see cref="LastGoodFeed"/> was made.</summary>
    [field: NonSerialized]
    public bool FeedIsCurrent { get; set; }

    [Id(8)] public List<string> DislikedItems { get; set; } = [];
    [Id(9)] public int TotalInteractions { get; set; }

    /// <summary>True when the history was seeded from the training data set on first activation.</summary>
    [Id(10)] public bool SeededFromTrainingData { get; set; }

    /// <summary>Re-rank scores kept at most: a few re-rank answers' worth, enough to cover the candidates still shown.</summary>
    public const int RerankScoreCapacity = 200;

    /// <summary>Interactions applied since a profile was last asked for (what <c>ProfileRefreshPolicy</c> counts).</summary>
    [Id(11)] public int InteractionsSinceProfileRequest { get; set; }

    /// <summary>When a profile was last asked for (the debounce's clock); null if never.</summary>
    [Id(12)] public DateTimeOffset? ProfileRequestedAt { get; set; }

    /// <summary>Version of the stored <see cref="Profile"/>; older answers arriving late are ignored.</summary>
    [Id(13)] public long ProfileVersion { get; set; }

    /// <summary><c>llm</c> or <c>preferences</c>: who wrote <see cref="Profile"/>.</summary>
    [Id(14)] public string? ProfileSource { get; set; }

    /// <summary>Re-rank scores by item, each with the version of the answer it came from (bounded by <see cref="RerankScoreCapacity"/>).</summary>
    [Id(15)] public List<StoredRerankScore> RerankScores { get; set; } = [];

    /// <summary>Profile and preferences key of the newest re-rank answer stored; a different current key calls for new scores.</summary>
    [Id(16)] public string? RerankContextKey { get; set; }

    /// <summary>Newest re-rank answer version stored.</summary>
    [Id(17)] public long RerankVersion { get; set; }

    [Id(18)] public DateTimeOffset? RerankUpdatedAt { get; set; }

    /// <summary>When the oldest change counted in <see cref="InteractionsSinceProfileRequest"/> arrived (server clock).</summary>
    [Id(19)] public DateTimeOffset? PendingSince { get; set; }

    public bool HasSeenEvent(string eventId) => RecentEventIds.Contains(EventIdHash.Of(eventId));

    /// <summary>
    /// Moves what state written before the compact layout holds in ids 0 and 1 into <see cref="History"/> and
    /// <see cref="RecentEventIds"/>; to be called after every read of stored state. Returns true when it moved anything.
    /// </summary>
    public bool UpgradeStoredLayout()
    {
        var moved = false;
        if (LegacyHistory is { } history)
        {
            History = new InteractionHistory(HistoryCapacity);
            foreach (var record in history) History.Add(record);
            LegacyHistory = null;
            moved = true;
        }
        if (LegacyRecentEventIds is { } ids)
        {
            RecentEventIds = new EventIdWindow(EventIdCapacity);
            foreach (var id in ids) RecentEventIds.Add(id);
            LegacyRecentEventIds = null;
            moved = true;
        }
        return moved;
    }

    /// <summary>
    /// Records one event unless its id was seen within the last <see cref="EventIdCapacity"/> events.
    /// Returns false for a duplicate (nothing changes).
    /// </summary>
    public bool TryRecord(UserEvent userEvent)
    {
        var hash = EventIdHash.Of(userEvent.EventId);
        if (RecentEventIds.Contains(hash)) return false;
        RecentEventIds.Add(hash);
        AddInteraction(new InteractionRecord
        {
            ItemId = userEvent.ItemId,
            Type = userEvent.Type,
            Value = userEvent.Type == UserEventType.Rating ? userEvent.Value : null,
            Timestamp = userEvent.Timestamp,
        });
        return true;
    }

    /// <summary>
    /// Appends an interaction (bounded) and keeps the disliked set in step with it. Whether an item is disliked is
    /// decided by when things happened, not by when they arrived (events can arrive out of order: across silos, after a
    /// reclaim, in a batch): a dislike stands unless a deliberate positive signal on the item happened after it, as far
    /// as the bounded history remembers; beyond it, the later arrival wins.
    /// </summary>
    public void AddInteraction(InteractionRecord record)
    {
        History.Add(record);
        TotalInteractions++;
        // The embedding is folded from the history again when it is next needed.
        Embedding = null;
        if (record.Type == UserEventType.Dislike)
        {
            if (LatestInHistory(record, InteractionSignals.TakesBackDislike) is { } positive && positive.Timestamp > record.Timestamp)
            {
                // The user took this dislike back before it arrived.
                return;
            }
            DislikedItems.Remove(record.ItemId);
            DislikedItems.Add(record.ItemId);
            if (DislikedItems.Count > DislikedCapacity) DislikedItems.RemoveRange(0, DislikedItems.Count - DislikedCapacity);
        }
        else if (InteractionSignals.TakesBackDislike(record) && DislikedItems.Contains(record.ItemId))
        {
            // A deliberate positive signal takes the dislike back, if it happened after the dislike.
            var dislike = LatestInHistory(record, r => r.Type == UserEventType.Dislike);
            if (dislike is null || record.Timestamp >= dislike.Timestamp) DislikedItems.Remove(record.ItemId);
        }
    }

    /// <summary>The latest-happened record of <paramref name="record"/>'s item in the history matching <paramref name="kind"/>, other than the record itself.</summary>
    private InteractionRecord? LatestInHistory(InteractionRecord record, Func<InteractionRecord, bool> kind)
    {
        InteractionRecord? latest = null;
        foreach (var other in History)
        {
            if (ReferenceEquals(other, record) || other.ItemId != record.ItemId || !kind(other)) continue;
            if (latest is null || other.Timestamp > latest.Timestamp) latest = other;
        }
        return latest;
    }

    /// <summary>Items never to show: everything in the history and every remembered dislike.</summary>
    public HashSet<string> ExcludedItemIds()
    {
        var excluded = new HashSet<string>(DislikedItems, StringComparer.Ordinal);
        foreach (var record in History) excluded.Add(record.ItemId);
        return excluded;
    }

    /// <summary>Marks the cached feed as outdated; it stays as the fallback until a new one replaces it.</summary>
    public void InvalidateFeed() => FeedIsCurrent = false;

    /// <summary>Keeps <paramref name="feed"/> as the current and last good feed, and what storage will keep of it.</summary>
    public void CacheFeed(StoredFeed feed)
    {
        LastGoodFeed = feed;
        FeedIsCurrent = true;
        SavedLastGoodFeed = SavedFeed.From(feed);
    }

    /// <summary>After a read from storage: the stored last good feed back in memory, as a fallback only (not current).</summary>
    public void RestoreLastGoodFeed()
    {
        if (LastGoodFeed is null && SavedLastGoodFeed is { } saved)
        {
            LastGoodFeed = saved.ToStoredFeed();
            FeedIsCurrent = false;
        }
    }

    /// <summary>The stored re-rank scores by item id.</summary>
    public Dictionary<string, float> RerankScoreMap() => RerankScores.ToDictionary(s => s.ItemId, s => s.Score, StringComparer.Ordinal);

    /// <summary>
    /// Merges one re-rank answer into the stored scores by item id: per item the newer version wins, so an answer that
    /// arrives late fills only the items a newer one did not score. Items the user has since seen or disliked are
    /// dropped, and only the <see cref="RerankScoreCapacity"/> newest entries are kept. Returns true when anything changed.
    /// </summary>
    public bool MergeRerankScores(IReadOnlyList<ItemScore> scores, long version, string contextKey, DateTimeOffset now)
    {
        var byItem = RerankScores.ToDictionary(s => s.ItemId, StringComparer.Ordinal);
        var changed = false;
        foreach (var score in scores)
        {
            if (byItem.TryGetValue(score.ItemId, out var existing) && existing.Version >= version) continue;
            byItem[score.ItemId] = new StoredRerankScore { ItemId = score.ItemId, Score = score.Score, Version = version };
            changed = true;
        }
        var excluded = ExcludedItemIds();
        var kept = byItem.Values
            .Where(s => !excluded.Contains(s.ItemId))
            .OrderByDescending(s => s.Version)
            .ThenBy(s => s.ItemId, StringComparer.Ordinal)
            .Take(RerankScoreCapacity)
            .ToList();
        changed |= kept.Count != RerankScores.Count;
        RerankScores = kept;
        if (version >= RerankVersion)
        {
            RerankVersion = version;
            RerankContextKey = contextKey;
        }
        if (changed) RerankUpdatedAt = now;
        return changed;
    }
}

/// <summary>One interaction in a user's history, by external item id (survives a change of catalogue order).</summary>
[GenerateSerializer, Immutable, Alias("llmrec.InteractionRecord")]
public sealed record InteractionRecord
{
    [Id(0)] public required string ItemId { get; init; }
    [Id(1)] public required UserEventType Type { get; init; }
    [Id(2)] public float? Value { get; init; }
    [Id(3)] public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>A user's vector and bias folded in from their history with one model version.</summary>
[GenerateSerializer, Alias("llmrec.FoldedEmbedding")]
public sealed record FoldedEmbedding
{
    [Id(0)] public required float[] Vector { get; init; }
    [Id(1)] public float Bias { get; init; }
    [Id(2)] public required string ModelVersion { get; init; }

    /// <summary>Interactions fold-in used; 0 means the user is cold for this model.</summary>
    [Id(3)] public int UsedInteractions { get; init; }
}

/// <summary>A feed as kept in state: deeper than one request's k, so later requests with exclusions are served from it.</summary>
[GenerateSerializer, Alias("llmrec.StoredFeed")]
public sealed record StoredFeed
{
    [Id(0)] public required List<StoredFeedItem> Items { get; init; }
    [Id(1)] public required FeedSource Source { get; init; }
    [Id(2)] public required string ModelVersion { get; init; }
    [Id(3)] public required DateTimeOffset GeneratedAt { get; init; }
}

[GenerateSerializer, Immutable, Alias("llmrec.StoredFeedItem")]
public sealed record StoredFeedItem
{
    [Id(0)] public required string ItemId { get; init; }
    [Id(1)] public required float ModelScore { get; init; }
    [Id(2)] public float? RerankScore { get; init; }

    /// <summary>The re-ranker's reason, or the fallback rung's; model reasons are computed when explained.</summary>
    [Id(3)] public string? Reason { get; init; }

    /// <summary>model, reranked, last-good-feed or popular.</summary>
    [Id(4)] public required string Stage { get; init; }

    /// <summary>The score the order was decided by when a re-ranker fused scores; null when the order is the model's.</summary>
    [Id(5)] public float? FinalScore { get; init; }
}

/// <summary>One item's re-rank score and the version of the answer that gave it.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.StoredRerankScore")]
public sealed record StoredRerankScore
{
    [Id(0)] public required string ItemId { get; init; }
    [Id(1)] public required float Score { get; init; }
    [Id(2)] public required long Version { get; init; }
}

/// <summary>What storage keeps of a user's last good feed: enough for the fallback rung, nothing that explains it.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.SavedFeed")]
public sealed record SavedFeed
{
    [Id(0)] public required string ModelVersion { get; init; }
    [Id(1)] public required DateTimeOffset GeneratedAt { get; init; }
    [Id(2)] public required FeedSource Source { get; init; }
    [Id(3)] public required string[] ItemIds { get; init; }

    /// <summary>Model scores, one per item id.</summary>
    [Id(4)] public required float[] Scores { get; init; }

    public static SavedFeed From(StoredFeed feed) => new()
    {
        ModelVersion = feed.ModelVersion,
        GeneratedAt = feed.GeneratedAt,
        Source = feed.Source,
        ItemIds = [.. feed.Items.Select(i => i.ItemId)],
        Scores = [.. feed.Items.Select(i => i.ModelScore)],
    };

    public StoredFeed ToStoredFeed() => new()
    {
        Items = [.. ItemIds.Zip(Scores, (itemId, score) => new StoredFeedItem { ItemId = itemId, ModelScore = score, Stage = Feeds.FeedPipeline.ModelStage })],
        Source = Source,
        ModelVersion = ModelVersion,
        GeneratedAt = GeneratedAt,
    };
}
