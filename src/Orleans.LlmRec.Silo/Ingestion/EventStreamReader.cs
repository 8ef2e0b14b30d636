using System.Runtime.CompilerServices;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>
/// The Redis side of the consumer: this silo's reads in the consumer group (XREADGROUP), claims of entries dead
/// consumers left pending (XAUTOCLAIM), acknowledgements (XACK), and the removal of dead consumers' names.
/// </summary>
public sealed class EventStreamReader(IDatabase db, string key, string group, string consumerName, int readCount)
{
    /// <summary>The first entry id: a group created at it applies the events added before any silo ran, too.</summary>
    private const string FirstId = "0-0";
    private const int MaxClaimPagesPerRound = 10;

    public string ConsumerName => consumerName;

    /// <summary>Creates the group (and, with MKSTREAM, the key) unless it exists.</summary>
    public async Task EnsureGroupAsync()
    {
        try
        {
            await db.StreamCreateConsumerGroupAsync(key, group, FirstId, createStream: true);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another silo (or an earlier life of this one) created it.
        }
    }

    /// <summary>True when <paramref name="e"/> says the group is gone (the stream key was deleted, and the group with it).</summary>
    public static bool IsGroupMissing(RedisServerException e) => e.Message.StartsWith("NOGROUP", StringComparison.Ordinal);

    /// <summary>
    /// With <paramref name="ownPending"/>, the entries this consumer name read earlier (in this life or an earlier one)
    /// and never acknowledged; otherwise entries never delivered to anyone.
    /// </summary>
    public Task<StreamEntry[]> ReadAsync(bool ownPending) =>
        db.StreamReadGroupAsync(key, group, consumerName, ownPending ? (RedisValue)FirstId : StreamPosition.NewMessages, readCount);

    /// <summary>Claims, page by page, entries other consumers read but left unacknowledged for <paramref name="minIdle"/>.</summary>
    public async IAsyncEnumerable<StreamEntry[]> ClaimAsync(TimeSpan minIdle, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        RedisValue start = FirstId;
        for (var page = 0; page < MaxClaimPagesPerRound && !cancellationToken.IsCancellationRequested; page++)
        {
            var claim = await db.StreamAutoClaimAsync(key, group, consumerName, (long)minIdle.TotalMilliseconds, start, readCount);
            if (claim.ClaimedEntries is { Length: > 0 } claimed) yield return claimed;
            start = claim.NextStartId;
            if (claim.IsNull || start == FirstId) break;
        }
    }

    /// <summary>
    /// Records this consumer's name under its silo's address (a hash next to the stream), so that the silo that sees
    /// it die can claim its pending entries by name.
    /// </summary>
    public Task RegisterAsync(string siloAddress) => db.HashSetAsync(ConsumersKey, siloAddress, consumerName);

    /// <summary>The consumer name a silo registered, or null.</summary>
    public async Task<string?> ConsumerOfAsync(string siloAddress) => await db.HashGetAsync(ConsumersKey, siloAddress) is { IsNull: false } name ? name.ToString() : null;

    public Task ForgetAsync(string siloAddress) => db.HashDeleteAsync(ConsumersKey, siloAddress);

    /// <summary>Claims, page by page, every entry <paramref name="deadConsumer"/> read and never acknowledged, however recently.</summary>
    public async IAsyncEnumerable<StreamEntry[]> ClaimFromAsync(string deadConsumer, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var page = 0; page < MaxClaimPagesPerRound * 10 && !cancellationToken.IsCancellationRequested; page++)
        {
            var pending = await db.StreamPendingMessagesAsync(key, group, readCount, deadConsumer);
            if (pending.Length == 0) yield break;
            var claimed = await db.StreamClaimAsync(key, group, consumerName, 0, [.. pending.Select(p => p.MessageId)]);
            // Entries deleted from the stream meanwhile come back empty (and leave the pending list).
            var live = claimed.Where(e => !e.IsNull).ToArray();
            if (live.Length > 0) yield return live;
        }
    }

    private string ConsumersKey => key + ":consumers";

    public Task AcknowledgeAsync(IReadOnlyList<RedisValue> entryIds) =>
        entryIds.Count == 0 ? Task.CompletedTask : db.StreamAcknowledgeAsync(key, group, [.. entryIds]);

    /// <summary>Forgets consumers (silos that are gone) with nothing pending and idle for <paramref name="expiry"/>.</summary>
    public async Task RemoveIdleConsumersAsync(TimeSpan expiry)
    {
        foreach (var consumer in await db.StreamConsumerInfoAsync(key, group))
        {
            if (consumer.Name != consumerName && consumer.PendingMessageCount == 0 && consumer.IdleTimeInMilliseconds > (long)expiry.TotalMilliseconds)
            {
                await db.StreamDeleteConsumerAsync(key, group, consumer.Name);
            }
        }
    }
}
