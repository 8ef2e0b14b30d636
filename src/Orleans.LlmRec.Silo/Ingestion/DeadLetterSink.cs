using System.Globalization;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>Where stream entries that can never be applied go, so they never block the ones behind them.</summary>
public interface IDeadLetterSink
{
    /// <summary>Records each entry with its reason; the caller acknowledges them afterwards.</summary>
    Task SetAsideAsync(IReadOnlyList<RejectedEntry> rejected);
}

/// <summary>
/// Logs and counts every entry set aside and, unless <see cref="EventStreamOptions.DeadLetterKey"/> is empty, copies it
/// to the dead-letter stream with the reason, where it came from and which consumer set it aside.
/// </summary>
public sealed partial class RedisDeadLetterSink(
    IDatabase db, EventStreamOptions options, string consumerName, EventStreamMetrics metrics, TimeProvider time, ILogger logger) : IDeadLetterSink
{
    public async Task SetAsideAsync(IReadOnlyList<RejectedEntry> rejected)
    {
        var at = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        foreach (var (entry, reason) in rejected)
        {
            LogDeadLettered(logger, entry.Id.ToString(), options.Key, reason);
            if (string.IsNullOrEmpty(options.DeadLetterKey)) continue;
            NameValueEntry[] fields =
            [
                .. entry.Values,
                new("error", reason),
                new("sourceStream", options.Key),
                new("sourceId", entry.Id),
                new("consumer", consumerName),
                new("deadLetteredAt", at),
            ];
            await db.StreamAddAsync(options.DeadLetterKey, fields, maxLength: options.DeadLetterMaxLength, useApproximateMaxLength: true);
        }
        metrics.DeadLettered.Add(rejected.Count);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream entry {EntryId} of {Key} set aside: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string entryId, string key, string reason);
}
