using Microsoft.Extensions.Options;
using Orleans.LlmRec.Silo.Redis;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>
/// Trims the event stream behind its consumer groups (<c>XTRIM MINID</c>) every <see cref="EventStreamOptions.TrimInterval"/>,
/// so it does not grow without bound. Only entries every group has acknowledged go: the new first id is the lowest,
/// over every group of the stream, of its oldest pending entry (delivered, not acknowledged) and its last delivered id
/// (entries after it were never delivered). A stream without a group is never trimmed: its entries wait for the first
/// silo. <c>MAXLEN</c> is not offered: it counts entries whether acknowledged or not, so a consumer that fell behind
/// would lose events no silo applied (a producer that wants a hard cap can <c>XADD ... MAXLEN ~</c> itself).
/// Every silo trims; trimming is idempotent, so they need no coordination.
/// </summary>
public sealed partial class EventStreamTrimmer(
    IConnectionMultiplexer redis, IOptions<EventStreamOptions> options, TimeProvider time, ILogger<EventStreamTrimmer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var db = redis.GetDatabase();
        var failing = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(settings.TrimInterval, time, stoppingToken);
                var removed = await TrimAsync(db, settings.Key);
                if (removed > 0) LogTrimmed(logger, removed, settings.Key);
                failing = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                // Redis is unavailable: the consumer says so already; one line when trimming starts failing is enough.
                if (!failing) LogTrimFailed(logger, settings.Key, e.Message);
                failing = true;
            }
        }
    }

    /// <summary>Removes the entries every group of <paramref name="key"/> has acknowledged; the number removed.</summary>
    public static async Task<long> TrimAsync(IDatabase db, RedisKey key) =>
        await FirstUnacknowledgedAsync(db, key) is { } minId ? await db.StreamTrimByMinIdAsync(key, minId) : 0;

    /// <summary>
    /// The id below which every entry of <paramref name="key"/> was acknowledged by every group; null when nothing may
    /// go (no stream, no group, or a group that has delivered nothing). The last delivered entry itself is kept
    /// (<c>MINID</c> keeps ids at or above the bound): one acknowledged entry is left, and nothing undelivered is lost.
    /// </summary>
    public static async Task<RedisValue?> FirstUnacknowledgedAsync(IDatabase db, RedisKey key)
    {
        if (!await db.KeyExistsAsync(key)) return null;
        var groups = await db.StreamGroupInfoAsync(key);
        if (groups.Length == 0) return null;
        StreamId? bound = null;
        foreach (var group in groups)
        {
            // Read before the pending list: deliveries after this only add entries above it.
            var groupBound = StreamId.Parse(group.LastDeliveredId);
            if (group.PendingMessageCount > 0)
            {
                var pending = await db.StreamPendingAsync(key, group.Name);
                if (!pending.LowestPendingMessageId.IsNull) groupBound = StreamId.Min(groupBound, StreamId.Parse(pending.LowestPendingMessageId));
            }
            bound = bound is { } b ? StreamId.Min(b, groupBound) : groupBound;
        }
        return bound is { IsZero: false } first ? (RedisValue?)first.ToString() : null;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Trimmed {Count} acknowledged entries from {Key}")]
    private static partial void LogTrimmed(ILogger logger, long count, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trimming {Key} failed ({Reason}); retrying every interval")]
    private static partial void LogTrimFailed(ILogger logger, string key, string reason);
}
