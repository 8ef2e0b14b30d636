using System.Globalization;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Silo.Cluster;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>
/// Stage <b>ingest</b> from a Redis stream: every silo is one consumer of one consumer group, so each entry is applied
/// by one silo. At least once: an entry is acknowledged (XACK) only after its user's grain applied it, so a silo that
/// dies mid-read leaves its entries pending, and another silo claims them (XAUTOCLAIM) once they have been idle for
/// <see cref="EventStreamOptions.ClaimMinIdle"/>, or at once when Orleans declares its silo dead
/// (<see cref="DeadConsumerWatch"/>). Re-applying is harmless: grains de-duplicate by event id.
/// This loop only drives the parts: <see cref="EventStreamReader"/> talks to Redis, <see cref="StreamEntrySorter"/>
/// parses and validates each entry once, <see cref="PerUserOrderedApplier"/> applies each user's events in order and
/// acknowledges them, and <see cref="IDeadLetterSink"/> keeps the entries that can never be applied (malformed,
/// unknown item, a user whose state cannot be read), so they never block the ones behind them.
/// </summary>
public sealed partial class RedisStreamConsumer : BackgroundService
{
    private readonly EventStreamOptions _options;
    private readonly EventStreamReader _reader;
    private readonly IDeadLetterSink _deadLetters;
    private readonly PerUserOrderedApplier _applier;
    private readonly SiloModel _serving;
    private readonly IngestionOptions _rules;
    private readonly EventStreamMetrics _metrics;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _time;
    private readonly DeadConsumerWatch _deadConsumers;
    private readonly FailureLogThrottle _failureLog;
    private readonly ILogger<RedisStreamConsumer> _logger;
    private readonly Grains.Catalogue.LiveCatalogue? _liveCatalogue;

    public RedisStreamConsumer(
        IOptions<EventStreamOptions> options,
        IOptions<Configuration.OrleansHostOptions> silo,
        IConnectionMultiplexer redis,
        EventIngestor ingestor,
        SiloModel serving,
        IOptions<IngestionOptions> rules,
        EventStreamMetrics metrics,
        IHostApplicationLifetime lifetime,
        TimeProvider time,
        DeadConsumerWatch deadConsumers,
        FailureLogThrottle failureLog,
        ILogger<RedisStreamConsumer> logger,
        Grains.Catalogue.LiveCatalogue? liveCatalogue = null)
    {
        _liveCatalogue = liveCatalogue;
        _options = options.Value;
        var consumerName = string.IsNullOrWhiteSpace(_options.ConsumerName)
            ? $"{Environment.MachineName}-{silo.Value.SiloPort.ToString(CultureInfo.InvariantCulture)}"
            : _options.ConsumerName;
        var db = redis.GetDatabase();
        _reader = new EventStreamReader(db, _options.Key, _options.Group, consumerName, _options.ReadCount);
        _deadLetters = new RedisDeadLetterSink(db, _options, consumerName, metrics, time, logger);
        _applier = new PerUserOrderedApplier(
            async (events, cancellationToken) =>
            {
                var applied = await ingestor.ApplyAsync(events, cancellationToken);
                metrics.Applied.Add(applied.Accepted);
                metrics.Duplicates.Add(applied.Duplicates);
            },
            // Per-user chunks acknowledged together: one XACK per burst instead of one per user part.
            new CoalescedAcknowledgements(_reader.AcknowledgeAsync).AcknowledgeAsync,
            _deadLetters,
            new ApplyRetries(_options.MaxApplyAttempts, _options.MaxRetryDelay),
            time,
            _options.MaxBatchesInFlight,
            _options.ReadCount);
        _serving = serving;
        _rules = rules.Value;
        _metrics = metrics;
        _lifetime = lifetime;
        _time = time;
        _deadConsumers = deadConsumers;
        _failureLog = failureLog;
        _logger = logger;
    }

    /// <summary>This silo's name in the consumer group.</summary>
    public string ConsumerName => _reader.ConsumerName;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Applying needs a running silo; ApplicationStarted fires once every hosted service, the silo included, is up.
        if (!await WaitForApplicationStartedAsync(stoppingToken)) return;
        LogStarted(_logger, _options.Key, _options.Group, ConsumerName);
        var watch = _deadConsumers.WatchAsync(stoppingToken);

        var polls = StreamBackoff.Polls(_options, _time);
        var retryDelay = _options.MinPollDelay;
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
                    await _reader.EnsureGroupAsync();
                    await _reader.RegisterAsync(_deadConsumers.Local.ToParsableString());
                    groupReady = true;
                }
                await ClaimFromDeadSilosAsync(stoppingToken);
                var now = _time.GetUtcNow();
                if (now >= nextClaim)
                {
                    nextClaim = now + _options.ClaimInterval;
                    // Entries this silo is still applying are pending too; let them finish so they are not claimed twice.
                    await _applier.DrainAsync(throwOnFailure: true);
                    await ReclaimAsync(stoppingToken);
                }
                if (now >= nextExpiry)
                {
                    nextExpiry = now + StreamBackoff.IdleConsumerCheckInterval(_options);
                    await _reader.RemoveIdleConsumersAsync(_options.IdleConsumerExpiry);
                }

                // Entries in flight are pending as well, so the pending list is only read when nothing is in flight.
                if (readOwnPending) await _applier.DrainAsync(throwOnFailure: true);
                await _applier.WaitForRoomAsync();
                var entries = await _reader.ReadAsync(readOwnPending);
                if (entries.Length == 0)
                {
                    if (readOwnPending)
                    {
                        readOwnPending = false;
                        continue;
                    }
                    // Nothing new: surface a failed read now rather than at the next one.
                    await _applier.DrainAsync(throwOnFailure: true);
                    await DelayAsync(polls.Empty(), stoppingToken);
                    continue;
                }
                polls.Found();
                await StartAsync(entries, stoppingToken);
                if (_applier.InFlight == 0) retryDelay = _options.MinPollDelay;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (RedisServerException e) when (EventStreamReader.IsGroupMissing(e))
            {
                LogGroupMissing(_logger, _options.Key, _options.Group);
                groupReady = false;
            }
            catch (Exception e)
            {
                // Redis or a silo is unavailable: nothing was acknowledged, so the read is read again from this
                // consumer's pending list once the back-off has passed.
                _metrics.ApplyFailures.Add(1);
                if (Outages.Classify(e) is not { } outage)
                {
                    LogApplyFailed(_logger, e, (int)retryDelay.TotalMilliseconds);
                }
                else if (_failureLog.ShouldLog($"stream {outage} {Outages.RootCause(e)}", out var leftOut))
                {
                    // An outage is expected to pass: one line per kind and window, no stack trace.
                    LogApplyOutage(_logger, outage, Outages.RootCause(e), leftOut, (int)retryDelay.TotalMilliseconds);
                }
                await _applier.DrainAsync(throwOnFailure: false);
                readOwnPending = true;
                await DelayAsync(retryDelay, stoppingToken);
                retryDelay = StreamBackoff.NextRetryDelay(retryDelay, _options);
            }
        }
        await _applier.DrainAsync(throwOnFailure: false);
        await watch;
        LogStopped(_logger, ConsumerName);
    }

    /// <summary>Sets aside (and acknowledges) the entries that can never be applied, then starts applying the rest.</summary>
    private async Task StartAsync(StreamEntry[] entries, CancellationToken cancellationToken)
    {
        var sorted = StreamEntrySorter.Sort(entries, _serving.Catalogue, _rules, _time.GetUtcNow());
        // An entry may name an item another silo published a moment ago: catch up before setting anything aside. Sort
        // again even when this catch-up applied nothing: the catalogue tailer may have applied the item since the
        // first sort.
        if (sorted.Rejected.Count > 0 && _liveCatalogue is not null)
        {
            await _liveCatalogue.CatchUpAsync(cancellationToken);
            sorted = StreamEntrySorter.Sort(entries, _serving.Catalogue, _rules, _time.GetUtcNow());
        }
        if (sorted.Rejected.Count > 0) await _deadLetters.SetAsideAsync(sorted.Rejected);
        await _reader.AcknowledgeAsync([.. sorted.Rejected.Select(r => r.Entry.Id), .. sorted.Gone]);
        _applier.Start(sorted.Valid, cancellationToken);
    }

    /// <summary>Claims and applies entries other consumers read but never acknowledged (their silo died).</summary>
    private async Task ReclaimAsync(CancellationToken cancellationToken)
    {
        await foreach (var claimed in _reader.ClaimAsync(_options.ClaimMinIdle, cancellationToken))
        {
            _metrics.Reclaimed.Add(claimed.Length);
            LogReclaimed(_logger, claimed.Length, _options.Key);
            await _applier.WaitForRoomAsync();
            await StartAsync(claimed, cancellationToken);
        }
    }

    /// <summary>Claims and applies, at once, the pending entries of silos membership has just declared dead.</summary>
    private async Task ClaimFromDeadSilosAsync(CancellationToken cancellationToken)
    {
        while (_deadConsumers.TryPeek(out var silo))
        {
            var address = silo.ToParsableString();
            if (await _reader.ConsumerOfAsync(address) is { } consumer && consumer != ConsumerName)
            {
                // Entries this silo is applying are pending too; let them finish so nothing is claimed twice.
                await _applier.DrainAsync(throwOnFailure: true);
                var count = 0;
                await foreach (var claimed in _reader.ClaimFromAsync(consumer, cancellationToken))
                {
                    count += claimed.Length;
                    _metrics.Reclaimed.Add(claimed.Length);
                    await _applier.WaitForRoomAsync();
                    await StartAsync(claimed, cancellationToken);
                }
                LogClaimedFromDead(_logger, count, consumer, address);
            }
            await _reader.ForgetAsync(address);
            _deadConsumers.Done();
        }
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

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Applying stream entries failed: {Outage} unavailable ({Cause}); they stay pending and are retried in {DelayMs} ms; {LeftOut} more such failures since the last line")]
    private static partial void LogApplyOutage(ILogger logger, OutageKind outage, string cause, int leftOut, int delayMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silo} was declared dead: claimed the {Count} entries its consumer {Consumer} left pending")]
    private static partial void LogClaimedFromDead(ILogger logger, int count, string consumer, string silo);

    [LoggerMessage(Level = LogLevel.Information, Message = "Claimed {Count} pending entries of {Key} from idle consumers")]
    private static partial void LogReclaimed(ILogger logger, int count, string key);
}
