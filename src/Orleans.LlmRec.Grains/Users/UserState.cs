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

    [Id(0)] public List<InteractionRecord> History { get; set; } = [];

    /// <summary>64-bit hashes of recent event ids, oldest first (<see cref="EventIdHash"/>): 8 bytes each instead of a string.</summary>
    [Id(1)] public List<ulong> RecentEventIds { get; set; } = [];

    [Id(2)] public FoldedEmbedding? Embedding { get; set; }
    [Id(3)] public string? Preferences { get; set; }

    /// <summary>Profile text the LLM layer writes from the history; null until it has.</summary>
    [Id(4)] public string? Profile { get; set; }
    [Id(5)] public DateTimeOffset? ProfileUpdatedAt { get; set; }

    /// <summary>The last feed the full pipeline produced; served again while current, and as a fallback when scoring fails.</summary>
    [Id(6)] public StoredFeed? LastGoodFeed { get; set; }

    /// <summary>False once anything that shapes the feed changed after <see cref="LastGoodFeed"/> was made.</summary>
    [Id(7)] public bool FeedIsCurrent { get; set; }

    [Id(8)] public List<string> DislikedItems { get; set; } = [];
    [Id(9)] public int TotalInteractions { get; set; }

    /// <summary>True when the history was seeded from the training data set on first activation.</summary>
    [Id(10)] public bool SeededFromTrainingData { get; set; }

    public bool HasSeenEvent(string eventId) => RecentEventIds.Contains(EventIdHash.Of(eventId));

    /// <summary>
    /// Records one event unless its id was seen within the last <see cref="EventIdCapacity"/> events.
    /// Returns false for a duplicate (nothing changes).
    /// </summary>
    public bool TryRecord(UserEvent userEvent)
    {
        var hash = EventIdHash.Of(userEvent.EventId);
        if (RecentEventIds.Contains(hash)) return false;
        RecentEventIds.Add(hash);
        if (RecentEventIds.Count > EventIdCapacity) RecentEventIds.RemoveRange(0, RecentEventIds.Count - EventIdCapacity);
        AddInteraction(new InteractionRecord
        {
            ItemId = userEvent.ItemId,
            Type = userEvent.Type,
            Value = userEvent.Type == UserEventType.Rating ? userEvent.Value : null,
            Timestamp = userEvent.Timestamp,
        });
        return true;
    }

    /// <summary>Appends an interaction (bounded) and keeps the disliked set in step with it.</summary>
    public void AddInteraction(InteractionRecord record)
    {
        History.Add(record);
        if (History.Count > HistoryCapacity) History.RemoveRange(0, History.Count - HistoryCapacity);
        TotalInteractions++;
        if (record.Type == UserEventType.Dislike)
        {
            DislikedItems.Remove(record.ItemId);
            DislikedItems.Add(record.ItemId);
            if (DislikedItems.Count > DislikedCapacity) DislikedItems.RemoveRange(0, DislikedItems.Count - DislikedCapacity);
        }
        else if (InteractionSignals.IsPositive(record))
        {
            // A later positive signal on the same item takes the dislike back.
            DislikedItems.Remove(record.ItemId);
        }
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
}
