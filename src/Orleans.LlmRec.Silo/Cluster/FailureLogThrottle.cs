using System.Collections.Concurrent;

namespace Orleans.LlmRec.Silo.Cluster;

/// <summary>
/// Keeps an outage's log to one line per kind of failure (e.g. "POST /v1/events: Storage, RedisTimeoutException") per
/// window: the first failure of a kind is logged, the ones after it in the window are only counted, and the next one
/// logged says how many were left out. A failover or a Redis restart otherwise wrote megabytes of identical stack traces.
/// </summary>
public sealed class FailureLogThrottle(TimeSpan window, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    /// <summary>
    /// True when a failure of <paramref name="kind"/> is to be logged now; <paramref name="leftOut"/> is how many of
    /// that kind were counted, not logged, since the last one logged.
    /// </summary>
    public bool ShouldLog(string kind, out int leftOut)
    {
        var now = time.GetUtcNow();
        var state = _windows.GetOrAdd(kind, _ => new Window());
        lock (state)
        {
            if (state.LoggedAt is { } last && now - last < window)
            {
                state.LeftOut++;
                leftOut = 0;
                return false;
            }
            leftOut = state.LeftOut;
            state.LeftOut = 0;
            state.LoggedAt = now;
            return true;
        }
    }

    private sealed class Window
    {
        public DateTimeOffset? LoggedAt { get; set; }
        public int LeftOut { get; set; }
    }
}
