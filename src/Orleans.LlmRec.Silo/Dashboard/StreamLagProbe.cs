using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Silo.Ingestion;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>The event stream's backlog: entries delivered to a consumer and not yet acknowledged, and the age of the oldest.</summary>
public sealed record StreamLag(long Pending, TimeSpan OldestAge);

/// <summary>
/// Reads <see cref="StreamLag"/> every <see cref="Period"/> with one <c>XPENDING</c> summary, when this host consumes
/// the event stream, and publishes it as the gauges <c>llmrec.event_stream.pending</c> and
/// <c>llmrec.event_stream.oldest_pending_age</c> (alerts: infra/prometheus/alerts.yml) and to the dashboard. A scrape
/// reads the last value; it never waits on Redis. A failed read keeps no value rather than a stale one.
/// </summary>
public sealed class StreamLagProbe : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    private readonly EventStreamOptions _options;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private StreamLag? _latest;

    public StreamLagProbe(IOptions<EventStreamOptions> options, IServiceProvider services, TimeProvider time, IMeterFactory meters)
    {
        _options = options.Value;
        _services = services;
        _time = time;
        if (!_options.Enabled) return;
        var meter = meters.Create(EventStreamMetrics.MeterName);
        meter.CreateObservableGauge("llmrec.event_stream.pending", () => Latest is { } lag ? [new Measurement<long>(lag.Pending)] : Array.Empty<Measurement<long>>(),
            "{entry}", "Entries of the event stream delivered to a consumer of the group and not yet acknowledged.");
        meter.CreateObservableGauge("llmrec.event_stream.oldest_pending_age", () => Latest is { } lag ? [new Measurement<double>(lag.OldestAge.TotalSeconds)] : Array.Empty<Measurement<double>>(),
            "s", "Age of the oldest unacknowledged entry (0 when none is pending).");
    }

    /// <summary>The last reading; null before the first, after a failed one, or when no stream is consumed.</summary>
    public StreamLag? Latest => Volatile.Read(ref _latest);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled) return;
        using var timer = new PeriodicTimer(Period, _time);
        do
        {
            Volatile.Write(ref _latest, await ReadAsync());
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<StreamLag?> ReadAsync()
    {
        try
        {
            var redis = _services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
            var pending = await redis.StreamPendingAsync(_options.Key, _options.Group);
            var oldest = pending.PendingMessageCount == 0 ? TimeSpan.Zero : AgeOf(pending.LowestPendingMessageId.ToString());
            return new StreamLag(pending.PendingMessageCount, oldest);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>A Redis stream id is <c>milliseconds-sequence</c>: the entry's age is read from it.</summary>
    private TimeSpan AgeOf(string id)
    {
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        if (!long.TryParse(dash < 0 ? id : id[..dash], out var ms)) return TimeSpan.Zero;
        var age = _time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return age < TimeSpan.Zero ? TimeSpan.Zero : age;
    }
}
