using System.Text.Json;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Silo.Redis;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Catalogue;

/// <summary>
/// The cluster's catalogue log: one Redis stream (<c>Catalogue:LogKey</c>) every silo appends accepted changes to
/// (XADD) and reads in order (XRANGE after the last entry it applied; no consumer group, every silo reads all).
/// Redis keeps it, so a restarted silo replays it and has every item published before. Fields: <c>op</c>
/// (put|delete), <c>itemId</c>, <c>item</c> (the publication as JSON, puts only). <see cref="CatalogueCompactor"/>
/// folds its older part into a snapshot (<see cref="CatalogueSnapshotStore"/>) and trims it; a silo that starts, or
/// fell behind the trim, applies the snapshot first and reads the log after its position.
/// </summary>
public sealed class RedisCatalogueLog(IConnectionMultiplexer redis, string key) : ICatalogueLog
{
    private static readonly JsonSerializerOptions Json = JsonSerializerOptions.Web;

    public string Key => key;

    public CatalogueSnapshotStore Snapshots { get; } = new(redis, key);

    public Task<CatalogueSnapshot?> SnapshotBeyondAsync(string? afterId, CancellationToken cancellationToken = default) =>
        Snapshots.ReadBeyondAsync(afterId, cancellationToken);

    public async Task<string> AppendAsync(CatalogueChange change, CancellationToken cancellationToken = default)
    {
        NameValueEntry[] fields = change.Item is { } item
            ? [new("op", "put"), new("itemId", change.ItemId), new("item", JsonSerializer.Serialize(item, Json))]
            : [new("op", "delete"), new("itemId", change.ItemId)];
        var id = await redis.GetDatabase().StreamAddAsync(key, fields);
        return id.ToString();
    }

    public async Task<IReadOnlyList<CatalogueEntry>> ReadAfterAsync(string? afterId, int count, CancellationToken cancellationToken = default)
    {
        // The snapshot's position and the entries in one transaction: a compaction cannot trim between the two.
        var transaction = redis.GetDatabase().CreateTransaction();
        var position = transaction.HashGetAsync(Snapshots.MetaKey, "position");
        var entries = transaction.StreamRangeAsync(key, afterId is null ? "-" : "(" + afterId, "+", count);
        await transaction.ExecuteAsync();
        if (await position is { IsNull: false } compacted && (afterId is null || StreamId.Parse(afterId).CompareTo(StreamId.Parse(compacted)) < 0))
        {
            throw new CatalogueLogCompactedException(compacted!);
        }
        return Parse(await entries);
    }

    /// <summary>Entries after <paramref name="afterId"/> through <paramref name="through"/> (an entry id), oldest first, whatever was compacted.</summary>
    public async Task<IReadOnlyList<CatalogueEntry>> ReadRangeAsync(string? afterId, string through, int count) =>
        Parse(await redis.GetDatabase().StreamRangeAsync(key, afterId is null ? "-" : "(" + afterId, through, count));

    private List<CatalogueEntry> Parse(StreamEntry[] entries)
    {
        var changes = new List<CatalogueEntry>(entries.Length);
        foreach (var entry in entries)
        {
            changes.Add(new CatalogueEntry(entry.Id.ToString(), Parse(entry)));
        }
        return changes;
    }

    /// <summary>Entries are written by silos only, after validation; one that does not parse is a bug or tampering.</summary>
    private CatalogueChange Parse(StreamEntry entry)
    {
        var itemId = (string?)entry["itemId"];
        var op = (string?)entry["op"];
        if (string.IsNullOrEmpty(itemId)) throw new InvalidDataException($"Catalogue log {key} entry {entry.Id} has no itemId.");
        return op switch
        {
            "delete" => new CatalogueChange(CatalogueOperation.Delete, itemId, null),
            "put" => new CatalogueChange(CatalogueOperation.Put, itemId,
                JsonSerializer.Deserialize<ItemPublication>((string?)entry["item"] ?? "null", Json)
                ?? throw new InvalidDataException($"Catalogue log {key} entry {entry.Id} has no item.")),
            _ => throw new InvalidDataException($"Catalogue log {key} entry {entry.Id} has op '{op}'."),
        };
    }
}
