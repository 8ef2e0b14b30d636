using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Silo.Redis;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Catalogue;

/// <summary>
/// Where the compacted catalogue lives in Redis, beside the log <c>K</c> (<c>Catalogue:LogKey</c>): the hash
/// <c>K:snapshot</c> (<c>position</c>: the last log entry it covers; <c>key</c>: the list holding it; <c>count</c>:
/// the list's length) and the list <c>K:snapshot:{position}</c>, one JSON change per element
/// (<c>{"itemId", "item"}</c> for a put, <c>{"itemId", "retired": true}</c> for a delete) in the order that rebuilds
/// the catalogue (<see cref="CatalogueSnapshot"/>). A new snapshot is written under its own list, then switched to
/// and the log trimmed before its position in one script, so a reader sees the old snapshot and log or the new ones.
/// </summary>
public sealed class CatalogueSnapshotStore(IConnectionMultiplexer redis, string logKey)
{
    private const int Chunk = 1_000;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerOptions.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    // Switches to the new snapshot unless one at or beyond its position is already there (two compactors racing), then
    // trims the log before it (XTRIM MINID keeps the position's own entry) and lets the old list expire.
    private const string SwitchScript = """
        local function newer(a, b)
          local am, as = string.match(a, '(%d+)-(%d+)')
          local bm, bs = string.match(b, '(%d+)-(%d+)')
          am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
          return am > bm or (am == bm and as > bs)
        end
        local current = redis.call('HGET', KEYS[1], 'position')
        if current and not newer(ARGV[1], current) then return 0 end
        local old = redis.call('HGET', KEYS[1], 'key')
        redis.call('HSET', KEYS[1], 'position', ARGV[1], 'key', ARGV[2], 'count', ARGV[3])
        redis.call('XTRIM', KEYS[2], 'MINID', ARGV[1])
        if old and old ~= ARGV[2] then redis.call('EXPIRE', old, ARGV[4]) end
        return 1
        """;

    public string MetaKey { get; } = logKey + ":snapshot";

    /// <summary>The position of the current snapshot, or null when the log was never compacted.</summary>
    public async Task<string?> PositionAsync() => await redis.GetDatabase().HashGetAsync(MetaKey, "position");

    /// <summary>
    /// The current snapshot when it covers the log beyond <paramref name="afterId"/>, else null. Retries when a newer
    /// snapshot replaced it while it was being read (the old list expires some minutes after the switch).
    /// </summary>
    public async Task<CatalogueSnapshot?> ReadBeyondAsync(string? afterId, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        for (var attempt = 0; ; attempt++)
        {
            var meta = await db.HashGetAsync(MetaKey, ["position", "key", "count"]);
            if (meta[0].IsNull) return null;
            var position = (string)meta[0]!;
            if (afterId is not null && StreamId.Parse(afterId).CompareTo(StreamId.Parse(position)) >= 0) return null;
            var count = (long)meta[2];
            var changes = new List<CatalogueChange>((int)Math.Min(count, 1_000_000));
            for (long start = 0; start < count; start += Chunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var value in await db.ListRangeAsync((string)meta[1]!, start, start + Chunk - 1)) changes.Add(Parse(value));
            }
            if (changes.Count == count) return new CatalogueSnapshot(position, changes);
            if (attempt == 2) throw new InvalidDataException($"Catalogue snapshot {meta[1]} holds {changes.Count} changes; {MetaKey} says {count}.");
        }
    }

    /// <summary>
    /// Writes <paramref name="snapshot"/> and switches to it, trimming the log before its position; false when a
    /// snapshot at or beyond it was already there (nothing switched, nothing trimmed).
    /// </summary>
    public async Task<bool> WriteAsync(CatalogueSnapshot snapshot, TimeSpan oldSnapshotGrace)
    {
        var db = redis.GetDatabase();
        var listKey = $"{MetaKey}:{snapshot.Position}";
        await db.KeyDeleteAsync(listKey);
        foreach (var chunk in snapshot.Changes.Chunk(Chunk))
        {
            await db.ListRightPushAsync(listKey, [.. chunk.Select(Serialize)]);
        }
        var switched = (long)await db.ScriptEvaluateAsync(SwitchScript, [MetaKey, logKey],
            [snapshot.Position, listKey, snapshot.Changes.Count, (long)oldSnapshotGrace.TotalSeconds]);
        if (switched == 0) await db.KeyDeleteAsync(listKey);
        return switched == 1;
    }

    private static RedisValue Serialize(CatalogueChange change) => change.Operation == CatalogueOperation.Put
        ? JsonSerializer.Serialize(new SnapshotRecord(change.ItemId, change.Item, Retired: null), Json)
        : JsonSerializer.Serialize(new SnapshotRecord(change.ItemId, null, Retired: true), Json);

    private CatalogueChange Parse(RedisValue value)
    {
        var record = JsonSerializer.Deserialize<SnapshotRecord>((string)value!, Json);
        if (record is null || string.IsNullOrEmpty(record.ItemId)) throw new InvalidDataException($"A change in the catalogue snapshot of {MetaKey} has no itemId.");
        return record.Retired == true
            ? new CatalogueChange(CatalogueOperation.Delete, record.ItemId, null)
            : new CatalogueChange(CatalogueOperation.Put, record.ItemId, record.Item ?? throw new InvalidDataException($"Catalogue snapshot put of '{record.ItemId}' has no item."));
    }

    private sealed record SnapshotRecord(string ItemId, ItemPublication? Item, bool? Retired);
}
