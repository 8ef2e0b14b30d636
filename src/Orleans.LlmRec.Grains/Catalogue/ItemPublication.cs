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

    /// <summary>Entries after <paramref name="afterId"/> (null = from the start), oldest first, at most <paramref name="count"/>.</summary>
    Task<IReadOnlyList<CatalogueEntry>> ReadAfterAsync(string? afterId, int count, CancellationToken cancellationToken = default);
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
