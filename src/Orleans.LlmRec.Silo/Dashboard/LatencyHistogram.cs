namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>
/// Durations counted into fixed log-spaced buckets (about 9 % wide, 10 µs to ~100 s) with one interlocked increment per
/// measurement, so the recording thread (a feed request) pays next to nothing. Percentiles are read once a second by
/// the sampler from the difference of two snapshots of the counts.
/// </summary>
public sealed class LatencyHistogram
{
    private const double SmallestMs = 0.01;
    private const double Growth = 1.09;
    private const int BucketCount = 200;
    private static readonly double LogGrowth = Math.Log(Growth);

    private readonly long[] _counts = new long[BucketCount];

    public void RecordMilliseconds(double ms) => Interlocked.Increment(ref _counts[BucketOf(ms)]);

    public long[] Snapshot()
    {
        var copy = new long[BucketCount];
        for (var i = 0; i < BucketCount; i++) copy[i] = Volatile.Read(ref _counts[i]);
        return copy;
    }

    /// <summary>The <paramref name="quantile"/> of the measurements between two snapshots (upper bucket bound), or NaN when there were none.</summary>
    public static double Quantile(long[] before, long[] after, double quantile)
    {
        long total = 0;
        for (var i = 0; i < after.Length; i++) total += after[i] - before[i];
        if (total == 0) return double.NaN;
        var rank = Math.Max(1, (long)Math.Ceiling(quantile * total));
        long seen = 0;
        for (var i = 0; i < after.Length; i++)
        {
            seen += after[i] - before[i];
            if (seen >= rank) return UpperBoundMs(i);
        }
        return UpperBoundMs(after.Length - 1);
    }

    internal static int BucketOf(double ms)
    {
        if (!(ms > SmallestMs)) return 0;
        var bucket = (int)Math.Ceiling(Math.Log(ms / SmallestMs) / LogGrowth);
        return Math.Min(bucket, BucketCount - 1);
    }

    internal static double UpperBoundMs(int bucket) => SmallestMs * Math.Pow(Growth, bucket);
}
