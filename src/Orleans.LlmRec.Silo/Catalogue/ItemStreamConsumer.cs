using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Silo.Configuration;
using Orleans.LlmRec.Silo.Ingestion;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Catalogue;

/// <summary>
/// Item publications from producers through a Redis stream (<c>Catalogue:ItemStreamKey</c>): each silo is one
/// consumer of one group (<see cref="EventStreamReader"/>, as for events), so each entry is applied once, through the
/// same path as <c>PUT</c>/<c>DELETE /v1/items/{itemId}</c> (validated, appended to the catalogue log, applied by
/// every silo). Fields: <c>op</c> = put | delete, <c>itemId</c>, and for put <c>json</c>, the PUT body. An entry that
/// can never be applied (malformed, invalid, a put of a retired item) goes to <c>Catalogue:ItemStreamDeadLetterKey</c>
/// with the reason; one that failed for an outage stays pending and is read again. One silo reads at a time (a Redis
/// lease, <c>{ItemStreamKey}:reader</c>): two consumers of one group would apply a producer's put then delete (or two
/// updates) of one item in either order. A silo that takes the lease over first claims what the last reader left pending.
/// </summary>
public sealed partial class ItemStreamConsumer(
    IConnectionMultiplexer redis,
    LiveCatalogue live,
    IOptions<CatalogueOptions> options,
    IOptions<IngestionOptions> ingestion,
    IOptions<OrleansHostOptions> silo,
    TimeProvider time,
    ILogger<ItemStreamConsumer> logger) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerOptions.Web) { AllowDuplicateProperties = false };
    /// <summary>How long the reader's lease lasts unrenewed (a dead reader's successor waits this long at most).</summary>
    private static readonly TimeSpan ReaderLease = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan LeaseRetry = TimeSpan.FromSeconds(1);
    private readonly CatalogueOptions _options = options.Value;
    private readonly RedisKey _leaseKey = $"{options.Value.ItemStreamKey}:reader";
    private long? _renewedAt;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var consumer = $"{Environment.MachineName}-{silo.Value.SiloPort.ToString(CultureInfo.InvariantCulture)}";
        try
        {
            await ConsumeAsync(consumer, stoppingToken);
        }
        finally
        {
            // Stopping: the next silo need not wait for the lease to lapse.
            try
            {
                if (_renewedAt is not null) await redis.GetDatabase().LockReleaseAsync(_leaseKey, consumer, CommandFlags.FireAndForget);
            }
            catch (Exception e) when (e is RedisException or ObjectDisposedException)
            {
                // Redis is gone or closing: the lease lapses on its own.
            }
        }
    }

    private async Task ConsumeAsync(string consumer, CancellationToken stoppingToken)
    {
        var db = redis.GetDatabase();
        var reader = new EventStreamReader(db, _options.ItemStreamKey, _options.ItemStreamGroup, consumer, 100);
        var groupReady = false;
        var ownPending = true;
        var polls = ItemStreamPolls(_options, time);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!groupReady)
                {
                    await reader.EnsureGroupAsync();
                    groupReady = true;
                }
                if (_renewedAt is not { } renewed || time.GetElapsedTime(renewed) > ReaderLease / 3)
                {
                    if (_renewedAt is not null && await db.LockExtendAsync(_leaseKey, consumer, ReaderLease))
                    {
                        _renewedAt = time.GetTimestamp();
                    }
                    else if (await db.LockTakeAsync(_leaseKey, consumer, ReaderLease))
                    {
                        _renewedAt = time.GetTimestamp();
                        // The reader before this one may have died holding entries: they come first, in stream order.
                        await foreach (var _ in reader.ClaimAsync(TimeSpan.Zero, stoppingToken)) { }
                        ownPending = true;
                    }
                    else
                    {
                        _renewedAt = null;
                        await Task.Delay(LeaseRetry, stoppingToken);
                        continue;
                    }
                }
                var entries = await reader.ReadAsync(ownPending);
                if (entries.Length == 0)
                {
                    ownPending = false;
                    await Task.Delay(polls.Empty(), time, stoppingToken);
                    continue;
                }
                polls.Found();
                foreach (var entry in entries)
                {
                    if (await ApplyAsync(db, entry, stoppingToken) is { } reason) await DeadLetterAsync(db, entry, reason);
                    await reader.AcknowledgeAsync([entry.Id]);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // An outage: what was read and not acknowledged is read again from this consumer's pending list.
                LogFailed(logger, e, _options.ItemStreamKey);
                if (e is RedisServerException server && EventStreamReader.IsGroupMissing(server)) groupReady = false;
                ownPending = true;
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    /// <summary>
    /// The item stream's pauses: 5 ms doubling to 50 ms after empty reads while publications come, on up to
    /// <c>Catalogue:IdlePollInterval</c> once none came for <c>Catalogue:IdlePollAfter</c>.
    /// </summary>
    public static PollBackoff ItemStreamPolls(CatalogueOptions options, TimeProvider time) => PollBackoff.WithIdleCeiling(
        TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(50), options.IdlePollAfter, options.IdlePollInterval, time);

    /// <summary>Applies one entry; returns why it can never be applied, or null when it was (or changed nothing).</summary>
    private async Task<string?> ApplyAsync(IDatabase db, StreamEntry entry, CancellationToken cancellationToken)
    {
        var itemId = (string?)entry["itemId"];
        if (ItemPublicationRules.IdProblem(itemId, ingestion.Value.MaxIdLength) is { } idProblem) return $"itemId: {idProblem}";
        switch ((string?)entry["op"])
        {
            case "delete":
                await live.RetireAsync(itemId!, cancellationToken);
                return null;
            case "put":
                ItemRequest? body;
                try
                {
                    body = JsonSerializer.Deserialize<ItemRequest>((string?)entry["json"] ?? "", Json);
                }
                catch (JsonException e)
                {
                    return $"json: malformed ({e.Message})";
                }
                if (ItemPublicationRules.Validate(body, time.GetUtcNow(), ingestion.Value.MaxFutureSkew, out var errors) is not { } item)
                {
                    return string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"));
                }
                return await live.PutAsync(itemId!, item, cancellationToken) == CatalogueWriteStatus.Retired
                    ? "the item was retired; retired items are never published again"
                    : null;
            case var op:
                return $"op: '{op}' is neither put nor delete";
        }
    }

    private async Task DeadLetterAsync(IDatabase db, StreamEntry entry, string reason)
    {
        LogDeadLettered(logger, entry.Id.ToString(), _options.ItemStreamKey, reason);
        NameValueEntry[] fields = [.. entry.Values, new("error", reason), new("sourceStream", _options.ItemStreamKey), new("sourceId", entry.Id)];
        await db.StreamAddAsync(_options.ItemStreamDeadLetterKey, fields, maxLength: 100_000, useApproximateMaxLength: true);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Item stream entry {EntryId} of {Key} set aside: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string entryId, string key, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Item stream {Key}: read or apply failed; retrying")]
    private static partial void LogFailed(ILogger logger, Exception exception, string key);
}
