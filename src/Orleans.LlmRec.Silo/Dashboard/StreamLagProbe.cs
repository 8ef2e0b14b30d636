using Microsoft.Extensions.Options;
using Orleans.LlmRec.Silo.Ingestion;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>The event stream's backlog: entries delivered to a consumer and not yet acknowledged, and the age of the oldest.</summary>
public readonly record struct StreamLag(long Pending, TimeSpan OldestAge);

/// <summary>
/// Reads <see cref="StreamLag"/> with one <c>XPENDING</c> summary (only while a dashboard watches, from
/// <see cref="HostSampler"/>); nothing when the host consumes no stream. A failed read is no sample, not an error.
/// </summary>
public sealed class StreamLagProbe(IOptions<EventStreamOptions> options, IServiceProvider services, TimeProvider time)
{
    public async Task<StreamLag?> ReadAsync()
    {
        var stream = options.Value;
        if (!stream.Enabled) return null;
        try
        {
            var redis = services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
            var pending = await redis.StreamPendingAsync(stream.Key, stream.Group);
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
        var age = time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(ms);
        return age < TimeSpan.Zero ? TimeSpan.Zero : age;
    }
}
