namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>
/// Whether a dashboard has asked for this host's samples lately. What only a watching operator needs (the busiest
/// users, the stream's pending entries) is gathered only then, so a cluster nobody watches pays one volatile read.
/// </summary>
public sealed class DashboardWatch(TimeProvider time)
{
    /// <summary>How long after the last request the extras keep being gathered.</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromSeconds(30);

    /// <summary>Never watched yet. (A subtraction from <see cref="long.MinValue"/> overflowed: a host no dashboard had
    /// ever asked counted as watched, and counted every user grain call.)</summary>
    private const long Never = long.MinValue;

    private long _lastWatchedTicks = Never;

    public bool IsWatched => Volatile.Read(ref _lastWatchedTicks) is var last && last != Never
        && time.GetTimestamp() - last < Linger.TotalSeconds * time.TimestampFrequency;

    public void MarkWatched() => Volatile.Write(ref _lastWatchedTicks, time.GetTimestamp());
}
