namespace Orleans.LlmRec.Scoring;

/// <summary>The scorer's statistics counters, updated lock-free from the batch loops and swaps.</summary>
internal sealed class ScorerCounters
{
    private long _requests;
    private long _batches;
    private int _largestBatch;
    private long _swaps;

    public ScorerStatistics Snapshot() => new(
        Interlocked.Read(ref _requests), Interlocked.Read(ref _batches), Volatile.Read(ref _largestBatch), Interlocked.Read(ref _swaps));

    /// <summary>Counts one batch of <paramref name="size"/> requests run on one session.</summary>
    public void RecordBatch(int size)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Add(ref _requests, size);
        var largest = Volatile.Read(ref _largestBatch);
        while (size > largest)
        {
            var seen = Interlocked.CompareExchange(ref _largestBatch, size, largest);
            if (seen == largest) break;
            largest = seen;
        }
    }

    public void RecordSwap() => Interlocked.Increment(ref _swaps);
}
