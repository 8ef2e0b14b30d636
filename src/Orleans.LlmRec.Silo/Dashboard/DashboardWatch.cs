namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>
/// Whether a dashboard has asked for this host's samples lately. What only a watching operator needs (the busiest
/// users, the stream's pending entries) is gathered only then, so a cluster nobody watches pays one volatile read.
/// </summary>
public sealed class DashboardWatch(TimeProvider time)
{
    /// <summary>How long after the last request the extras keep being gathered.</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromSeconds(30);

    private long _lastWatchedTicks = long.MinValue;

    public bool IsWatched => time.GetTimestamp() - Volatile.Read(ref _lastWatchedTicks) < Linger.TotalSeconds * time.TimestampFrequency;

    public void MarkWatched() => Volatile.Write(ref _lastWatchedTicks, time.GetTimestamp());
}
