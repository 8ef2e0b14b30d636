namespace Orleans.LlmRec.Grains.Catalogue;

/// <summary>What a publisher says about an item (<c>PUT /v1/items/{itemId}</c> or the item stream), once validated.</summary>
public sealed record ItemPublication
{
    public required string Title { get; init; }
    public string? Text { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>When the publisher says the item appeared; null = when the catalogue applied it.</summary>
    public DateTimeOffset? PublishedAt { get; init; }

    /// <summary>False keeps the item in the catalogue (events on it are accepted) but out of every feed.</summary>
    public bool Available { get; init; } = true;

    /// <summary>Equal in every field (tags in order, ordinal): a PUT of the same body again changes nothing.</summary>
    public bool SameAs(ItemPublication other) =>
        Title == other.Title && Text == other.Text && PublishedAt == other.PublishedAt && Available == other.Available
        && Tags.SequenceEqual(other.Tags, StringComparer.Ordinal);

    public ItemDescription Describe(string itemId) => new(itemId, Title, Text, Tags);
}

public enum CatalogueOperation
{
    Put,
    Delete,
}

/// <summary>One change of the catalogue as the catalogue log keeps it; <see cref="Item"/> is null for a delete.</summary>
public sealed record CatalogueChange(CatalogueOperation Operation, string ItemId, ItemPublication? Item);

/// <summary>A change with its position in the catalogue log (a Redis stream entry id, e.g. <c>1733150000000-0</c>).</summary>
public sealed record CatalogueEntry(string Id, CatalogueChange Change);

/// <summary>
/// The ordered, shared record of every accepted catalogue change (one Redis stream for the cluster; in memory for a
/// single silo without Redis). Every silo applies it in order, so every silo gives new items the same indexes.
/// </summary>
public interface ICatalogueLog
{
    /// <summary>Appends <paramref name="change"/> and returns its entry id.</summary>
    Task<string> AppendAsync(CatalogueChange change, CancellationToken cancellationToken = default);

    /// <summary>
    /// Entries after <paramref name="afterId"/> (null = from the start), oldest first, at most <paramref name="count"/>.
    /// Throws <see cref="CatalogueLogCompactedException"/> when the log was compacted beyond <paramref name="afterId"/>
    /// (entries after it may be gone): apply <see cref="SnapshotBeyondAsync"/> first.
    /// </summary>
    Task<IReadOnlyList<CatalogueEntry>> ReadAfterAsync(string? afterId, int count, CancellationToken cancellationToken = default);

    /// <summary>
    /// The snapshot to apply before reading after <paramref name="afterId"/>: one that covers the log beyond it (the
    /// log before its position may be trimmed); null when the log after <paramref name="afterId"/> is all there is to
    /// read. A log that is never compacted has none.
    /// </summary>
    Task<CatalogueSnapshot?> SnapshotBeyondAsync(string? afterId, CancellationToken cancellationToken = default) =>
        Task.FromResult<CatalogueSnapshot?>(null);
}

/// <summary>
/// The catalogue as the log left it at <paramref name="Position"/> (a log entry id, inclusive): the changes that
/// rebuild it (<see cref="CatalogueAdditions.SnapshotChanges"/>), in the order items first appeared, so applying them
/// gives new items the same dense indexes as applying the log did, and applying them over a catalogue that had
/// applied a prefix of that log ends in the same state.
/// </summary>
public sealed record CatalogueSnapshot(string Position, IReadOnlyList<CatalogueChange> Changes);

/// <summary>The log was compacted into a snapshot at <paramref name="position"/>, beyond the entry a reader asked to read after.</summary>
public sealed class CatalogueLogCompactedException(string position)
    : Exception($"The catalogue log was compacted through entry {position}; apply its snapshot before reading on.")
{
    public string Position { get; } = position;
}

/// <summary>The log of a single silo without Redis: lives as long as the process.</summary>
public sealed class InMemoryCatalogueLog : ICatalogueLog
{
    private readonly List<CatalogueEntry> _entries = [];
    private readonly Lock _lock = new();

    public Task<string> AppendAsync(CatalogueChange change, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            // Same shape as Redis ids, so versions compare the same way whichever log is used.
            var id = $"0-{_entries.Count + 1}";
            _entries.Add(new CatalogueEntry(id, change));
            return Task.FromResult(id);
        }
    }

    public Task<IReadOnlyList<CatalogueEntry>> ReadAfterAsync(string? afterId, int count, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var start = afterId is null ? 0 : int.Parse(afterId.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture);
            return Task.FromResult<IReadOnlyList<CatalogueEntry>>(_entries.Skip(start).Take(count).ToList());
        }
    }
}
