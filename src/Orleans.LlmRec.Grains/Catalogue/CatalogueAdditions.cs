using System.Collections.Concurrent;
using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Grains.Catalogue;

/// <summary>What applying one catalogue log entry did.</summary>
public enum CatalogueApplyOutcome
{
    /// <summary>A new item, given the next dense index after every item known so far.</summary>
    Added,
    /// <summary>A known item's text, tags or availability changed.</summary>
    Updated,
    Retired,
    /// <summary>Nothing changed: the same body again, a retired item's put, a delete of an unknown or retired item.</summary>
    Unchanged,
}

/// <summary>
/// The catalogue's live part, on top of the trained items: items published after training (dense indexes
/// <c>N, N+1, …</c> in log order, the same on every silo because every silo applies the same log in the same order),
/// publications over trained items (new text, availability), and retired items. Entries are applied one at a time
/// (<see cref="Apply"/> is called under the applier's lock); readers on the feed path read without locks.
/// </summary>
public sealed class CatalogueAdditions
{
    private readonly IdMap _trained;
    private readonly ConcurrentDictionary<string, int> _newIndexes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, LiveItem> _items = new();
    private volatile string[] _newIds = new string[16];
    private volatile int _newCount;
    private volatile int[] _hidden = [];
    private long _generation;

    public CatalogueAdditions(IdMap trained) => _trained = trained;

    /// <summary>Items the model was trained on: new items start at this index.</summary>
    public int TrainedCount => _trained.Count;

    public int NewCount => _newCount;

    /// <summary>The id of the last log entry applied: the catalogue version (null before the first).</summary>
    public string? Version { get; private set; }

    /// <summary>Counts applied changes that alter what a feed may hold; a cached feed made at another generation is rebuilt.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Dense indexes never to serve (retired, or published unavailable), sorted ascending.</summary>
    public int[] HiddenIndexes => _hidden;

    public bool TryGetIndex(string itemId, out int index) => _newIndexes.TryGetValue(itemId, out index);

    public string ItemIdOf(int index)
    {
        var offset = index - TrainedCount;
        if ((uint)offset >= (uint)_newCount) throw new ArgumentOutOfRangeException(nameof(index), index, "No such item.");
        return _newIds[offset];
    }

    /// <summary>The live state of an item published or retired since the silo started (trained or new); null otherwise.</summary>
    public LiveItem? StateOf(int index) => _items.TryGetValue(index, out var item) ? item : null;

    /// <summary>Applies one log entry; deterministic, so every silo ends in the same state.</summary>
    public CatalogueApplyOutcome Apply(CatalogueEntry entry, DateTimeOffset appliedAt)
    {
        ArgumentNullException.ThrowIfNull(entry);
        Version = entry.Id;
        var change = entry.Change;
        var known = _trained.TryGetIndex(change.ItemId, out var index) || _newIndexes.TryGetValue(change.ItemId, out index);
        var current = known ? StateOf(index) : null;
        if (current is { Retired: true }) return CatalogueApplyOutcome.Unchanged;
        CatalogueApplyOutcome outcome;
        if (change.Operation == CatalogueOperation.Delete)
        {
            if (!known) return CatalogueApplyOutcome.Unchanged;
            _items[index] = (current ?? new LiveItem(change.ItemId, null, appliedAt)) with { Retired = true };
            outcome = CatalogueApplyOutcome.Retired;
        }
        else
        {
            var item = change.Item ?? throw new ArgumentException($"Entry {entry.Id}: a put without an item.", nameof(entry));
            if (current?.Publication is { } published && published.SameAs(item)) return CatalogueApplyOutcome.Unchanged;
            if (!known)
            {
                index = AddNew(change.ItemId);
                outcome = CatalogueApplyOutcome.Added;
            }
            else
            {
                outcome = CatalogueApplyOutcome.Updated;
            }
            _items[index] = new LiveItem(change.ItemId, item, current?.FirstAppliedAt ?? appliedAt);
        }
        if (outcome == CatalogueApplyOutcome.Retired || !_items[index].Visible || current is { Visible: false })
        {
            _hidden = [.. _items.Where(p => !p.Value.Visible).Select(p => p.Key).Order()];
        }
        Interlocked.Increment(ref _generation);
        return outcome;
    }

    /// <summary>Marks the log applied through <paramref name="position"/> (after a snapshot that covers it).</summary>
    public void AdvanceTo(string position) => Version = position;

    /// <summary>
    /// The changes that rebuild this state from the trained items alone (a <see cref="CatalogueSnapshot"/>): per item
    /// with a live state, trained ones first, then new ones in dense index order (the order they first appeared), its
    /// last publication as a put, and a delete when it is retired.
    /// </summary>
    public List<CatalogueChange> SnapshotChanges()
    {
        var changes = new List<CatalogueChange>(_items.Count + 16);
        foreach (var (_, item) in _items.OrderBy(p => p.Key))
        {
            if (item.Publication is { } publication) changes.Add(new CatalogueChange(CatalogueOperation.Put, item.ItemId, publication));
            if (item.Retired) changes.Add(new CatalogueChange(CatalogueOperation.Delete, item.ItemId, null));
        }
        return changes;
    }

    private int AddNew(string itemId)
    {
        var offset = _newCount;
        var ids = _newIds;
        if (offset == ids.Length)
        {
            Array.Resize(ref ids, ids.Length * 2);
            _newIds = ids;
        }
        ids[offset] = itemId;
        var index = TrainedCount + offset;
        _newIndexes[itemId] = index;
        // Published last: a reader that sees the count sees the id.
        _newCount = offset + 1;
        return index;
    }
}

/// <summary>An item as the live catalogue holds it.</summary>
/// <param name="Publication">The last publication applied; null for a trained item retired without one.</param>
/// <param name="FirstAppliedAt">When this silo first applied a change of it (the publication time when the publisher gave none).</param>
public sealed record LiveItem(string ItemId, ItemPublication? Publication, DateTimeOffset FirstAppliedAt)
{
    public bool Retired { get; init; }

    /// <summary>May be served: not retired, and not published unavailable.</summary>
    public bool Visible => !Retired && Publication is not { Available: false };

    public DateTimeOffset PublishedAt => Publication?.PublishedAt ?? FirstAppliedAt;

    /// <summary>The publication as the rest of the service reads item text (prompts, titles, tag vectors).</summary>
    public ItemInfo? Info { get; } = Publication is { } p
        ? new ItemInfo(ItemId, p.Title, Year: null, Genres: p.Tags) { Description = p.Text }
        : null;
}
