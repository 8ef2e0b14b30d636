using Microsoft.Extensions.Options;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Silo.Configuration;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Catalogue;

/// <summary>
/// Keeps the catalogue log from growing forever: every <c>Catalogue:LogCompactionCheckInterval</c> each silo looks at
/// the log's length, and from <c>Catalogue:LogCompactAboveEntries</c> entries on, the one silo that takes the Redis
/// lock <c>K:compacting</c> folds the previous snapshot and the log entries older than
/// <c>Catalogue:LogCompactionMinAge</c> into a new snapshot (the latest state of every item, retired ones as
/// tombstones, in the order items first appeared: <see cref="CatalogueAdditions.SnapshotChanges"/>), writes it, and
/// trims the log before its position (<see cref="CatalogueSnapshotStore"/>). The fold runs on a fresh
/// <see cref="CatalogueAdditions"/> over the trained items, read from Redis alone, whatever this silo applied. Entries
/// younger than the minimum age stay in the log, so a silo that is only a poll behind never needs the snapshot.
/// </summary>
public sealed partial class CatalogueCompactor(
    RedisCatalogueLog log, IConnectionMultiplexer redis, ItemCatalogue catalogue, IOptions<CatalogueOptions> options, TimeProvider time,
    ILogger<CatalogueCompactor> logger) : BackgroundService
{
    private const int ReadBatch = 1_000;
    // Longer than any fold should take; a compactor that dies holding it only delays the next compaction.
    private static readonly TimeSpan LockLease = TimeSpan.FromMinutes(10);
    private readonly CatalogueOptions _options = options.Value;

    /// <summary>
    /// Compacts now if the lock is free and the log has entries old enough beyond the current snapshot; returns the new
    /// snapshot's position and size, or null when it did not compact.
    /// </summary>
    public async Task<(string Position, int Changes)?> CompactAsync(CancellationToken cancellationToken = default)
    {
        var db = redis.GetDatabase();
        var lockKey = $"{log.Key}:compacting";
        var token = Guid.NewGuid().ToString("N");
        if (!await db.LockTakeAsync(lockKey, token, LockLease)) return null;
        try
        {
            var cutoff = (time.GetUtcNow() - _options.LogCompactionMinAge).ToUnixTimeMilliseconds();
            // The newest entry at least the minimum age old ("ms" as an end bound means every sequence of that ms).
            var last = await db.StreamRangeAsync(log.Key, "-", cutoff.ToString(System.Globalization.CultureInfo.InvariantCulture), 1, Order.Descending);
            if (last.Length == 0) return null;
            var position = last[0].Id.ToString();
            var previous = await log.Snapshots.PositionAsync();
            if (previous is not null && Redis.StreamId.Parse(position).CompareTo(Redis.StreamId.Parse(previous)) <= 0) return null;

            var fold = new CatalogueAdditions(catalogue.Items);
            if (await log.Snapshots.ReadBeyondAsync(null, cancellationToken) is { } snapshot)
            {
                foreach (var change in snapshot.Changes) fold.Apply(new CatalogueEntry(snapshot.Position, change), DateTimeOffset.UnixEpoch);
                fold.AdvanceTo(snapshot.Position);
            }
            while (true)
            {
                var entries = await log.ReadRangeAsync(fold.Version, position, ReadBatch);
                foreach (var entry in entries) fold.Apply(entry, DateTimeOffset.UnixEpoch);
                if (entries.Count < ReadBatch) break;
            }
            var changes = fold.SnapshotChanges();
            if (!await log.Snapshots.WriteAsync(new CatalogueSnapshot(position, changes), _options.LogReplayTimeout * 2)) return null;
            LogCompacted(logger, log.Key, position, changes.Count);
            return (position, changes.Count);
        }
        finally
        {
            await db.LockReleaseAsync(lockKey, token);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.LogCompactionCheckInterval, time, stoppingToken);
                if (await redis.GetDatabase().StreamLengthAsync(log.Key) >= _options.LogCompactAboveEntries) await CompactAsync(stoppingToken);
                failing = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Redis away, or a log entry that does not parse: the log keeps growing until the next try succeeds.
                if (!failing) LogCompactionFailed(logger, e, log.Key);
                failing = true;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalogue log {Key} compacted through entry {Position}: a snapshot of {Changes} change(s)")]
    private static partial void LogCompacted(ILogger logger, string key, string position, int changes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Compacting the catalogue log {Key} failed; retrying every check interval")]
    private static partial void LogCompactionFailed(ILogger logger, Exception exception, string key);
}
