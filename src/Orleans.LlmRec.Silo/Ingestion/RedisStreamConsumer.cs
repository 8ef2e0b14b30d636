using System.Globalization;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Grains.Users;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>
/// Stage <b>ingest</b> from a Redis stream: every silo is one consumer of one consumer group, so each entry is applied
/// by one silo. At least once: an entry is acknowledged (XACK) only after its user's grain applied it, so a silo that
/// dies mid-batch leaves its entries pending, and another silo claims them (XAUTOCLAIM) once they have been idle for
/// <see cref="EventStreamOptions.ClaimMinIdleMs"/>. Re-applying is harmless: grains de-duplicate by event id.
/// Entries that can never be applied (malformed, unknown item...) are acknowledged, counted, logged and copied to the
/// dead-letter stream, so they never block the ones behind them.
/// Up to <see cref="EventStreamOptions.MaxBatchesInFlight"/> batches are applied at once; on one silo a user's events
/// still apply in stream order, because each user's part of a batch waits for that user's part of the batches before
/// it (across silos, or after a reclaim, a user's events apply in the order they arrive).
/// Entries are acknowledged per user and in chunks of at most <see cref="MaxUnacknowledgedPerUser"/> events, each
/// right after its grain applied it, and a user's next chunk waits for that acknowledgement: whatever is redelivered
/// after a failure is then among the user's last <see cref="UserHistory.EventIdCapacity"/> event ids, which the grain
/// remembers, so it is recognised as a duplicate (as long as fewer than four silos hold unacknowledged events of the
/// same user at once). Acknowledging a whole batch at the end would let one user's failure send another user's
/// thousands of applied events round again, past the grain's memory of them.
/// </summary>
public sealed partial class RedisStreamConsumer : BackgroundService
{
    private const int MaxClaimPagesPerRound = 10;

    /// <summary>A quarter of the ids a user grain remembers (see the class comment).</summary>
    internal const int MaxUnacknowledgedPerUser = UserHistory.EventIdCapacity / 4;
    private const string FirstId = "0-0";

    private readonly EventStreamOptions _options;
    private readonly string _connectionString;
    private readonly IEventIngestor _ingestor;
    private readonly SiloModel _serving;
    private readonly IngestionOptions _ingestion;
    private readonly EventStreamMetrics _metrics;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisStreamConsumer> _logger;

    // Touched only by the consuming loop (one logical thread of control).
    private readonly List<Task> _inFlight = [];
    private readonly Dictionary<string, Task> _lastApplyOfUser = new(StringComparer.Ordinal);

    /// <summary>Failed attempts per entry id that were not outages, and when the first was (see <see cref="EventStreamOptions.MaxApplyAttempts"/>).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (int Attempts, DateTimeOffset Since)> _failedAttempts = new(StringComparer.Ordinal);

    public RedisStreamConsumer(
        IOptions<EventStreamOptions> options,
        IOptions<Configuration.OrleansHostOptions> silo,
        IEventIngestor ingestor,
        SiloModel serving,
        IOptions<IngestionOptions> ingestion,
        EventStreamMetrics metrics,
        IHostApplicationLifetime lifetime,
        TimeProvider time,
        ILogger<RedisStreamConsumer> logger)
    {
        _options = options.Value;
        _connectionString = _options.RedisConnectionString ?? silo.Value.RedisConnectionString
            ?? throw new OptionsValidationException(EventStreamOptions.SectionName, typeof(EventStreamOptions),
                ["EventStream:RedisConnectionString (or Silo:RedisConnectionString) is required when EventStream:Enabled is true."]);
        ConsumerName = string.IsNullOrWhiteSpace(_options.ConsumerName)
            ? $"{Environment.MachineName}-{silo.Value.SiloPort.ToString(CultureInfo.InvariantCulture)}"
            : _options.ConsumerName;
        _ingestor = ingestor;
        _serving = serving;
        _ingestion = ingestion.Value;
        _metrics = metrics;
        _lifetime = lifetime;
        _time = time;
        _logger = logger;
    }

    /// <summary>This silo's name in the consumer group.</summary>
    public string ConsumerName { get; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Applying needs a running silo; ApplicationStarted fires once every hosted service, the silo included, is up.
        if (!await WaitForApplicationStartedAsync(stoppingToken)) return;

        var configuration = ConfigurationOptions.Parse(_connectionString);
        configuration.AbortOnConnectFail = false;
        using var connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        var db = connection.GetDatabase();
        LogStarted(_logger, _options.Key, _options.Group, ConsumerName);

        var pollDelay = _options.MinPollDelayMs;
        var retryDelay = _options.MinPollDelayMs;
        var groupReady = false;
        // First the entries this consumer name read in an earlier life and never acknowledged.
        var readOwnPending = true;
        var nextClaim = _time.GetUtcNow();
        var nextExpiry = _time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!groupReady)
                {
                    await EnsureGroupAsync(db);
                    groupReady = true;
                }
                var now = _time.GetUtcNow();
                if (now >= nextClaim)
                {
                    nextClaim = now.AddMilliseconds(_options.ClaimIntervalMs);
                    // Entries this silo is still applying are pending too; let them finish so they are not claimed twice.
                    await DrainAsync(throwOnFailure: true);
                    await ReclaimAsync(db, stoppingToken);
                }
                if (now >= nextExpiry)
                {
                    nextExpiry = now.AddMinutes(Math.Max(1, _options.IdleConsumerExpiryMinutes / 4.0));
                    await RemoveIdleConsumersAsync(db);
                }

                // "0-0" reads this consumer's own pending entries, ">" entries never delivered to anyone. Entries in
                // flight are pending as well, so the pending list is only read when nothing is in flight.
                if (readOwnPending) await DrainAsync(throwOnFailure: true);
                await WaitForRoomAsync();
                var position = readOwnPending ? (RedisValue)FirstId : StreamPosition.NewMessages;
                var entries = await db.StreamReadGroupAsync(_options.Key, _options.Group, ConsumerName, position, _options.ReadCount);
                if (entries.Length == 0)
                {
                    if (readOwnPending)
                    {
                        readOwnPending = false;
                        continue;
                    }
                    // Nothing new: surface a failed batch now rather than at the next read.
                    await DrainAsync(throwOnFailure: true);
                    await DelayAsync(pollDelay, stoppingToken);
                    pollDelay = Math.Min(pollDelay * 2, _options.MaxPollDelayMs);
                    continue;
                }
                pollDelay = _options.MinPollDelayMs;
                await StartBatchAsync(db, entries, stoppingToken);
                if (_inFlight.Count == 0) retryDelay = _options.MinPollDelayMs;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (RedisServerException e) when (e.Message.StartsWith("NOGROUP", StringComparison.Ordinal))
            {
                // The stream key was deleted, and the group with it: create both again.
                LogGroupMissing(_logger, _options.Key, _options.Group);
                groupReady = false;
            }
            catch (Exception e)
            {
                // Redis or a silo is unavailable: nothing was acknowledged, so the batch is read again from this
                // consumer's pending list once the back-off has passed.
                _metrics.ApplyFailures.Add(1);
                LogApplyFailed(_logger, e, retryDelay);
                await DrainAsync(throwOnFailure: false);
                readOwnPending = true;
                await DelayAsync(retryDelay, stoppingToken);
                retryDelay = Math.Min(retryDelay * 2 + 10, _options.MaxRetryDelayMs);
            }
        }
        await DrainAsync(throwOnFailure: false);
        LogStopped(_logger, ConsumerName);
    }

    private async Task<bool> WaitForApplicationStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = _lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        try
        {
            await started.Task.WaitAsync(stoppingToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task EnsureGroupAsync(IDatabase db)
    {
        try
        {
            // From the beginning: events added before any silo ran are applied too. MKSTREAM creates the key.
            await db.StreamCreateConsumerGroupAsync(_options.Key, _options.Group, FirstId, createStream: true);
        }
        catch (RedisServerException e) when (e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
            // Another silo (or an earlier life of this one) created it.
        }
    }

    /// <summary>
    /// Sets aside (and acknowledges) the entries that can never be applied, then starts applying the rest, each user's
    /// part after that user's part of earlier batches; the batch is acknowledged once every part is applied. A part
    /// that fails leaves the batch unacknowledged, and the failure surfaces at the next <see cref="DrainAsync"/>.
    /// </summary>
    private async Task StartBatchAsync(IDatabase db, StreamEntry[] entries, CancellationToken cancellationToken)
    {
        var valid = new List<(StreamEntry Entry, IncomingEvent Event)>(entries.Length);
        var rejected = new List<(StreamEntry Entry, string Reason)>();
        var gone = new List<RedisValue>();
        var catalogue = _serving.Catalogue;
        var now = _time.GetUtcNow();
        foreach (var entry in entries)
        {
            if (entry.Values is null or { Length: 0 })
            {
                // XADD needs a field, so an empty pending entry was deleted (XDEL, trimming) after delivery.
                gone.Add(entry.Id);
                continue;
            }
            if (!StreamEntryParser.TryParse(entry.Values, out var incoming, out var parseError))
            {
                rejected.Add((entry, parseError!));
                continue;
            }
            var validation = EventBatchValidator.Validate([incoming], catalogue, _ingestion, now, prefix: "entry");
            if (!validation.IsValid)
            {
                rejected.Add((entry, Describe(validation.Errors)));
                continue;
            }
            valid.Add((entry, incoming));
        }
        if (rejected.Count > 0)
        {
            await DeadLetterAsync(db, rejected);
        }
        if (rejected.Count + gone.Count > 0)
        {
            await db.StreamAcknowledgeAsync(_options.Key, _options.Group, [.. rejected.Select(r => r.Entry.Id), .. gone]);
        }
        if (valid.Count == 0) return;

        var parts = new List<Task>();
        foreach (var user in valid.GroupBy(v => v.Event.UserId!, StringComparer.Ordinal))
        {
            _lastApplyOfUser.TryGetValue(user.Key, out var previous);
            var part = ApplyUserPartAsync(db, previous, [.. user], cancellationToken);
            _lastApplyOfUser[user.Key] = part;
            parts.Add(part);
        }
        _inFlight.Add(Task.WhenAll(parts));
        if (_lastApplyOfUser.Count > 4 * _options.ReadCount)
        {
            foreach (var done in _lastApplyOfUser.Where(p => p.Value.IsCompleted).Select(p => p.Key).ToList()) _lastApplyOfUser.Remove(done);
        }
    }

    /// <summary>
    /// One user's events of a batch, after the same user's events of the batches before (which must succeed), in
    /// chunks each acknowledged once applied.
    /// </summary>
    private async Task ApplyUserPartAsync(IDatabase db, Task? previous, List<(StreamEntry Entry, IncomingEvent Event)> events, CancellationToken cancellationToken)
    {
        if (previous is not null) await previous;
        foreach (var chunk in events.Chunk(MaxUnacknowledgedPerUser))
        {
            try
            {
                await ApplyChunkAsync(db, chunk, cancellationToken);
                foreach (var (entry, _) in chunk) _failedAttempts.TryRemove(entry.Id.ToString(), out _);
            }
            catch (Exception e) when (!IsOutage(e) && !cancellationToken.IsCancellationRequested)
            {
                var now = _time.GetUtcNow();
                var (attempts, since) = (0, now);
                foreach (var (entry, _) in chunk)
                {
                    var failed = _failedAttempts.AddOrUpdate(entry.Id.ToString(), (1, now), (_, f) => (f.Attempts + 1, f.Since));
                    (attempts, since) = (Math.Max(attempts, failed.Attempts), failed.Since < since ? failed.Since : since);
                }
                // Retries come quickly at first: also wait out the longest back-off, so a short hiccup that surfaces as
                // an unexpected exception does not set good events aside.
                if (attempts < _options.MaxApplyAttempts || now - since < TimeSpan.FromMilliseconds(_options.MaxRetryDelayMs)) throw;
                // The same events failed the same way every time: set them aside, with the reason, and go on.
                var reason = $"not applied after {attempts} attempts: {e.GetType().Name}: {e.Message}";
                await DeadLetterAsync(db, [.. chunk.Select(c => (c.Entry, reason))]);
                foreach (var (entry, _) in chunk) _failedAttempts.TryRemove(entry.Id.ToString(), out _);
            }
            await db.StreamAcknowledgeAsync(_options.Key, _options.Group, [.. chunk.Select(e => e.Entry.Id)]);
        }
    }

    /// <summary>Failures that say nothing about the events themselves, only that something is down or busy for now.</summary>
    private static bool IsOutage(Exception e) => e switch
    {
        TimeoutException or OperationCanceledException => true,
        _ when Extensions.ClusterFailures.IsUnavailable(e) => true,
        // Storage errors wrap their cause: Redis unreachable is an outage, state that cannot be read back is not.
        RedisException or Orleans.Storage.InconsistentStateException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsOutage),
        _ => e.InnerException is { } inner && IsOutage(inner),
    };

    private async Task ApplyChunkAsync(IDatabase db, IReadOnlyList<(StreamEntry Entry, IncomingEvent Event)> events, CancellationToken cancellationToken)
    {
        var result = await _ingestor.IngestAsync([.. events.Select(e => e.Event)], cancellationToken);
        if (!result.Rejected)
        {
            _metrics.Applied.Add(result.Response!.Accepted);
            _metrics.Duplicates.Add(result.Response.Duplicates);
            return;
        }
        // Only if a rule changed between the check and now (the clock moved): sort it out one event at a time.
        var rejected = new List<(StreamEntry Entry, string Reason)>();
        foreach (var (entry, incoming) in events)
        {
            var single = await _ingestor.IngestAsync([incoming], cancellationToken);
            if (single.Rejected)
            {
                rejected.Add((entry, Describe(single.Errors)));
                continue;
            }
            _metrics.Applied.Add(single.Response!.Accepted);
            _metrics.Duplicates.Add(single.Response.Duplicates);
        }
        if (rejected.Count > 0) await DeadLetterAsync(db, rejected);
    }

    /// <summary>Waits until fewer than <see cref="EventStreamOptions.MaxBatchesInFlight"/> batches are being applied.</summary>
    private async Task WaitForRoomAsync()
    {
        while (_inFlight.Count >= _options.MaxBatchesInFlight)
        {
            await Task.WhenAny(_inFlight);
            await ForgetCompletedAsync(throwOnFailure: true);
        }
        await ForgetCompletedAsync(throwOnFailure: true);
    }

    /// <summary>Waits for every batch in flight; with <paramref name="throwOnFailure"/>, rethrows the first failure.</summary>
    private async Task DrainAsync(bool throwOnFailure)
    {
        try
        {
            await Task.WhenAll(_inFlight);
        }
        catch when (!throwOnFailure)
        {
            // Logged by the caller, which is already handling a failure.
        }
        finally
        {
            _inFlight.Clear();
            _lastApplyOfUser.Clear();
        }
    }

    private async Task ForgetCompletedAsync(bool throwOnFailure)
    {
        var failed = _inFlight.FirstOrDefault(t => t.IsFaulted || t.IsCanceled);
        if (failed is not null && throwOnFailure)
        {
            // Let the rest settle first, so the pending list is not read while parts of it are still being applied.
            await DrainAsync(throwOnFailure: false);
            await failed;
        }
        _inFlight.RemoveAll(t => t.IsCompleted);
    }

    private async Task DeadLetterAsync(IDatabase db, List<(StreamEntry Entry, string Reason)> rejected)
    {
        var at = _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
        foreach (var (entry, reason) in rejected)
        {
            LogDeadLettered(_logger, entry.Id.ToString(), _options.Key, reason);
            if (string.IsNullOrEmpty(_options.DeadLetterKey)) continue;
            NameValueEntry[] fields =
            [
                .. entry.Values,
                new("error", reason),
                new("sourceStream", _options.Key),
                new("sourceId", entry.Id),
                new("consumer", ConsumerName),
                new("deadLetteredAt", at),
            ];
            await db.StreamAddAsync(_options.DeadLetterKey, fields, maxLength: _options.DeadLetterMaxLength, useApproximateMaxLength: true);
        }
        _metrics.DeadLettered.Add(rejected.Count);
    }

    /// <summary>Claims and applies entries other consumers read but never acknowledged (their silo died).</summary>
    private async Task ReclaimAsync(IDatabase db, CancellationToken cancellationToken)
    {
        RedisValue start = FirstId;
        for (var page = 0; page < MaxClaimPagesPerRound; page++)
        {
            var claim = await db.StreamAutoClaimAsync(_options.Key, _options.Group, ConsumerName, _options.ClaimMinIdleMs, start, _options.ReadCount);
            if (claim.ClaimedEntries is { Length: > 0 } claimed)
            {
                _metrics.Reclaimed.Add(claimed.Length);
                LogReclaimed(_logger, claimed.Length, _options.Key);
                await WaitForRoomAsync();
                await StartBatchAsync(db, claimed, cancellationToken);
            }
            start = claim.NextStartId;
            if (claim.IsNull || start == FirstId) break;
        }
    }

    /// <summary>Forgets consumers (silos that are gone) with nothing pending, so the group's list stays short.</summary>
    private async Task RemoveIdleConsumersAsync(IDatabase db)
    {
        var expiry = (long)TimeSpan.FromMinutes(_options.IdleConsumerExpiryMinutes).TotalMilliseconds;
        foreach (var consumer in await db.StreamConsumerInfoAsync(_options.Key, _options.Group))
        {
            if (consumer.Name != ConsumerName && consumer.PendingMessageCount == 0 && consumer.IdleTimeInMilliseconds > expiry)
            {
                await db.StreamDeleteConsumerAsync(_options.Key, _options.Group, consumer.Name);
            }
        }
    }

    private static string Describe(IReadOnlyDictionary<string, string[]> errors) =>
        string.Join("; ", errors.Select(e => $"{FieldName(e.Key)}: {string.Join(", ", e.Value)}"));

    // "entry[0].itemId" → "itemId": an entry is always a batch of one.
    private static string FieldName(string key) => key[(key.IndexOf('.', StringComparison.Ordinal) + 1)..];

    private async Task DelayAsync(int milliseconds, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(milliseconds), _time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping; the loop condition ends it.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming Redis stream {Key} in group {Group} as {Consumer}")]
    private static partial void LogStarted(ILogger logger, string key, string group, string consumer);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream consumer {Consumer} stopped")]
    private static partial void LogStopped(ILogger logger, string consumer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer group {Group} of stream {Key} is missing; creating it again")]
    private static partial void LogGroupMissing(ILogger logger, string key, string group);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Applying stream entries failed; they stay pending and are retried in {DelayMs} ms")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, int delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream entry {EntryId} of {Key} set aside: {Reason}")]
    private static partial void LogDeadLettered(ILogger logger, string entryId, string key, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Claimed {Count} pending entries of {Key} from idle consumers")]
    private static partial void LogReclaimed(ILogger logger, int count, string key);
}
