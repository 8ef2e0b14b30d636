using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Silo.Configuration;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Redis;

/// <summary>
/// Redis's part of <c>/health/ready</c>: unhealthy while Redis does not answer a PING within
/// <see cref="AvailabilityOptions.RedisProbeTimeout"/> (grain state, membership and the stream live there, so every
/// write would fail). One PING at a time, its answer reused for <see cref="AvailabilityOptions.RedisProbeInterval"/>.
/// </summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis, IOptions<AvailabilityOptions> options, TimeProvider time) : IHealthCheck, IDisposable
{
    private readonly SemaphoreSlim _probing = new(1, 1);
    private (DateTimeOffset At, HealthCheckResult Result)? _last;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (Fresh() is { } cached) return cached;
        await _probing.WaitAsync(cancellationToken);
        try
        {
            if (Fresh() is { } meanwhile) return meanwhile;
            var result = await PingAsync(cancellationToken);
            _last = (time.GetUtcNow(), result);
            return result;
        }
        finally
        {
            _probing.Release();
        }
    }

    public void Dispose() => _probing.Dispose();

    private HealthCheckResult? Fresh() =>
        _last is { } last && time.GetUtcNow() - last.At < options.Value.RedisProbeInterval ? last.Result : null;

    private async Task<HealthCheckResult> PingAsync(CancellationToken cancellationToken)
    {
        var timeout = options.Value.RedisProbeTimeout;
        try
        {
            var roundTrip = await redis.GetDatabase().PingAsync().WaitAsync(timeout, time, cancellationToken);
            return HealthCheckResult.Healthy($"Redis answered a PING in {roundTrip.TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture)} ms");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // No exception attached: an outage is expected, and its stack trace would be logged on every probe.
            var why = e is TimeoutException ? $"no answer within {timeout.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms" : $"{e.GetType().Name}: {e.Message}";
            return HealthCheckResult.Unhealthy($"Redis is unavailable: {why}");
        }
    }
}
