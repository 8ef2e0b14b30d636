using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Serving;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// What a user did, and the rules that keep it: the bounded history, the disliked items, and the window of recent
/// event ids that makes a re-sent batch count once. Also keeps, in memory only, the history folded with the served
/// model (<see cref="EmbeddingFor"/>), dropped whenever the history changes.
/// </summary>
[GenerateSerializer, Alias("llmrec.UserHistory")]
public sealed class UserHistory
{
    /// <summary>Interactions kept, newest last; older ones fall off (they still shaped earlier embeddings).</summary>
    public const int HistoryCapacity = 200;

    /// <summary>
    /// Recent event ids remembered for de-duplication: a re-sent batch within this window is applied once. The newest
    /// <see cref="HistoryCapacity"/> are the history's own fingerprints (always kept); older ones, up to this bound,
    /// only while the user keeps sending (<see cref="OlderIdsIdleLimit"/>), so an idle user's state does not carry them.
    /// </summary>
    public const int EventIdCapacity = 1_000;

    /// <summary>How long fingerprints older than the history are kept after the user's last event: longer than any retry or stream reclaim.</summary>
    public static readonly TimeSpan OlderIdsIdleLimit = TimeSpan.FromHours(1);

    /// <summary>Disliked items remembered beyond the history window, so a dislike keeps an item out of the feed longer.</summary>
    public const int DislikedCapacity = 500;

    /// <summary>Interactions kept, newest last, stored compactly (<see cref="InteractionHistory"/>).</summary>
    [Id(0)] public InteractionHistory Interactions { get; private set; } = new(HistoryCapacity);

    /// <summary>Fingerprints of event ids older than the history (<see cref="EventIdCapacity"/>), oldest first: 4 bytes each.</summary>
    [Id(1)] public EventIdWindow OlderEventIds { get; private set; } = new(EventIdCapacity - HistoryCapacity);

    [Id(2)] public List<string> DislikedItems { get; private set; } = [];

    [Id(3)] public int TotalInteractions { get; private set; }

    /// <summary>True when the history was seeded from the training data set on first activation.</summary>
    [Id(4)] public bool SeededFromTrainingData { get; private set; }

    /// <summary>When (Unix seconds, server clock) the last event arrived while <see cref="OlderEventIds"/> held any; 0 when empty.</summary>
    [Id(5)] public long OlderIdsArrivedAt { get; private set; }

    /// <summary>
    /// The history folded with a model, kept until the history changes. Not stored: it is a pure function of the
    /// history, the dislikes and the model, so storing it only made every event's write larger.
    /// </summary>
    [field: NonSerialized]
    public FoldedEmbedding? Embedding { get; internal set; }

    public int Count => Interactions.Count;

    /// <summary>
    /// Times the older fingerprints were forgotten since this object was made (in memory only): a change a stored
    /// append cannot express, so the next write stores a snapshot (<see cref="ActivityLogState"/>).
    /// </summary>
    [field: NonSerialized]
    public int OlderIdsForgotten { get; private set; }

    /// <summary>Event-id fingerprints remembered now: the history's and the older ones.</summary>
    public int RememberedEventIds => OlderEventIds.Count + Interactions.Count(r => r.EventFingerprint.HasValue);

    public bool HasSeenEvent(string eventId) => HasSeen(EventIdHash.Fingerprint(eventId));

    /// <summary>
    /// Records a batch in order; events whose id is within the window are counted as duplicates and change nothing.
    /// <paramref name="arrivedAt"/> (server clock) ages the fingerprints older than the history; null leaves them.
    /// </summary>
    public ApplyResult Apply(IReadOnlyList<UserEvent> events, DateTimeOffset? arrivedAt = null)
    {
        if (arrivedAt is { } now && OlderEventIds.Count > 0 && now.ToUnixTimeSeconds() - OlderIdsArrivedAt > (long)OlderIdsIdleLimit.TotalSeconds)
        {
            // The user was idle for longer than any retry or reclaim takes: nothing older than the history comes back.
            OlderEventIds.Clear();
            OlderIdsForgotten++;
        }
        var skipped = 0;
        for (var i = 0; i < events.Count; i++)
        {
            if (!TryRecord(events[i])) skipped++;
        }
        OlderIdsArrivedAt = OlderEventIds.Count == 0 ? 0 : (arrivedAt ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        return new ApplyResult { Applied = events.Count - skipped, Duplicates = skipped };
    }

    /// <summary>Sets <see cref="OlderIdsArrivedAt"/> as a stored write left it (replaying <see cref="ActivityLogCodec"/>'s chunks).</summary>
    internal void RestoreOlderIdsArrivedAt(long unixSeconds) => OlderIdsArrivedAt = unixSeconds;

    /// <summary>A history as a stored snapshot holds it (<see cref="ActivitySnapshotCodec"/>): each part set as it was, nothing replayed.</summary>
    internal static UserHistory Restore(IEnumerable<InteractionRecord> interactions, IEnumerable<uint> olderEventIds, List<string> dislikedItems,
        int totalInteractions, bool seeded, long olderIdsArrivedAt)
    {
        var history = new UserHistory { DislikedItems = dislikedItems, TotalInteractions = totalInteractions, SeededFromTrainingData = seeded, OlderIdsArrivedAt = olderIdsArrivedAt };
        foreach (var record in interactions) history.Interactions.Add(record);
        foreach (var id in olderEventIds) history.OlderEventIds.Add(id);
        return history;
    }

    /// <summary>Records one event unless its id's fingerprint is among the remembered ones (<see cref="EventIdCapacity"/>).</summary>
    public bool TryRecord(UserEvent userEvent)
    {
        var fingerprint = EventIdHash.Fingerprint(userEvent.EventId);
        if (HasSeen(fingerprint)) return false;
        AddInteraction(new InteractionRecord
        {
            ItemId = userEvent.ItemId,
            Type = userEvent.Type,
            Value = userEvent.Type == UserEventType.Rating ? userEvent.Value : null,
            Timestamp = userEvent.Timestamp,
            EventFingerprint = fingerprint,
        });
        return true;
    }

    private bool HasSeen(uint fingerprint) => Interactions.ContainsFingerprint(fingerprint) || OlderEventIds.Contains(fingerprint);

    /// <summary>
    /// Starts a user the model was trained on from their training history (newest <see cref="HistoryCapacity"/>), so
    /// their first feed is personal. Returns how many interactions it added.
    /// </summary>
    public int SeedFrom(IReadOnlyList<RecentInteraction> training)
    {
        if (training.Count == 0) return 0;
        var seeded = 0;
        foreach (var x in training.TakeLast(HistoryCapacity))
        {
            AddInteraction(new InteractionRecord { ItemId = x.ItemId, Type = x.Type, Value = x.Value, Timestamp = x.Timestamp });
            seeded++;
        }
        SeededFromTrainingData = true;
        return seeded;
    }

    /// <summary>
    /// Appends an interaction (bounded) and keeps the disliked set in step with it. Whether an item is disliked is
    /// decided by when things happened, not by when they arrived (events can arrive out of order: across silos, after a
    /// reclaim, in a batch): a dislike stands unless a deliberate positive signal on the item happened after it, as far
    /// as the bounded history remembers; beyond it, the later arrival wins.
    /// </summary>
    public void AddInteraction(InteractionRecord record)
    {
        // An event falling out of the history keeps its fingerprint a while longer (see EventIdCapacity).
        if (Interactions.Add(record) is { EventFingerprint: { } dropped }) OlderEventIds.Add(dropped);
        TotalInteractions++;
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

    /// <summary>Item ids never to show: everything in the history and every remembered dislike.</summary>
    public HashSet<string> ExcludedItemIds()
    {
        var excluded = new HashSet<string>(DislikedItems, StringComparer.Ordinal);
        foreach (var record in Interactions) excluded.Add(record.ItemId);
        return excluded;
    }

    /// <summary>The same as dense catalogue indexes, sorted ascending, each once (what the candidates stage needs).</summary>
    public int[] ExcludedIndexes(ItemCatalogue catalogue)
    {
        var indexes = new List<int>(Interactions.Count + DislikedItems.Count);
        foreach (var itemId in DislikedItems)
        {
            if (catalogue.TryGetIndex(itemId, out var index)) indexes.Add(index);
        }
        foreach (var record in Interactions)
        {
            if (catalogue.TryGetIndex(record.ItemId, out var index)) indexes.Add(index);
        }
        // Retired and unavailable items leave every feed, whoever the user is.
        indexes.AddRange(catalogue.Additions.HiddenIndexes);
        indexes.Sort();
        var unique = 0;
        for (var i = 0; i < indexes.Count; i++)
        {
            if (unique == 0 || indexes[i] != indexes[unique - 1]) indexes[unique++] = indexes[i];
        }
        return indexes.GetRange(0, unique).ToArray();
    }

    /// <summary>Items the user liked and has not disliked since, as catalogue indexes, oldest first (what explanations compare with).</summary>
    public List<int> PositiveIndexes(ItemCatalogue catalogue)
    {
        var positives = new List<int>();
        var disliked = DislikedItems.ToHashSet(StringComparer.Ordinal);
        foreach (var record in Interactions)
        {
            if (InteractionSignals.IsPositive(record) && !disliked.Contains(record.ItemId)
                && catalogue.TryGetIndex(record.ItemId, out var index) && !positives.Contains(index))
            {
                positives.Add(index);
            }
        }
        return positives;
    }

    /// <summary>
    /// The user's embedding for <paramref name="model"/>: the one in memory when it was folded from the current history
    /// with this model, else folded now and kept. Null for a user with no history (cold start).
    /// </summary>
    public FoldedEmbedding? EmbeddingFor(ModelSnapshot model, ItemCatalogue catalogue)
    {
        if (Interactions.Count == 0) return null;
        if (Embedding is { } e && e.ModelVersion == model.Version) return e;
        return Embedding = Fold(model, catalogue);
    }

    /// <summary>Folds the history with <paramref name="model"/> now (what <see cref="EmbeddingFor"/> keeps).</summary>
    public FoldedEmbedding Fold(ModelSnapshot model, ItemCatalogue catalogue)
    {
        var interactions = InteractionSignals.ToFoldIn(Interactions, DislikedItems, catalogue, model.Kind);
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

    /// <summary>The latest-happened record of <paramref name="record"/>'s item in the history matching <paramref name="kind"/>, other than the record itself.</summary>
    private InteractionRecord? LatestInHistory(InteractionRecord record, Func<InteractionRecord, bool> kind)
    {
        InteractionRecord? latest = null;
        foreach (var other in Interactions)
        {
            if (ReferenceEquals(other, record) || other.ItemId != record.ItemId || !kind(other)) continue;
            if (latest is null || other.Timestamp > latest.Timestamp) latest = other;
        }
        return latest;
    }
}
