using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Orleans.LlmRec.Scoring.Retrieval;

/// <summary>
/// One query searched in every shard at once: the caller queues the shards to the thread pool and searches too,
/// taking any shard no pool thread has started (so a busy pool never leaves it waiting on queued work, and under load
/// the shards simply run one after another on the caller). A lone request's search then takes about the time of one
/// shard's. Each shard writes its nearest <c>count</c> into its own slice of the buffers; <see cref="Merge"/> joins them
/// by distance (every shard shares one <see cref="ScoreSpace"/>, so distances compare across shards).
/// <para>A job serves one query and is never reused: a pool thread that starts late finds no shard left and only
/// touches the claim counter.</para>
/// </summary>
internal sealed class ShardSearch : IThreadPoolWorkItem
{
    private readonly IndexShard[] _shards;
    private readonly ReadOnlyMemory<float> _query;
    private readonly ulong[] _keys;
    private readonly float[] _distances;
    private readonly int[] _found;
    private readonly int _count;
    private readonly bool _timed;
    private int _claimed;
    private int _remaining;
    private long _poolStarted;
    private long _lastFinished;
    private Exception? _failure;

    /// <summary>
    /// Benchmark hook (<c>retrieval --stages</c>): when set, every search of more than one shard reports its hand-off
    /// times to it. Null when serving, where it costs one read per search.
    /// </summary>
    internal static Action<HandOffTimes>? Observer { get; set; }

    private ShardSearch(IndexShard[] shards, ReadOnlyMemory<float> query, ulong[] keys, float[] distances, int count, bool timed)
    {
        _timed = timed;
        _shards = shards;
        _query = query;
        _keys = keys;
        _distances = distances;
        _count = count;
        _found = new int[shards.Length];
        _remaining = shards.Length;
    }

    /// <summary>
    /// Searches every shard for its nearest <paramref name="count"/> to <paramref name="query"/>; shard <c>s</c>'s
    /// results land in <c>[s·count, s·count + found[s])</c> of the buffers, nearest first. Returns the counts found.
    /// </summary>
    public static int[] Run(IndexShard[] shards, ReadOnlyMemory<float> query, ulong[] keys, float[] distances, int count)
    {
        var observer = Observer;
        var job = new ShardSearch(shards, query, keys, distances, count, timed: observer is not null);
        var queued = observer is null ? 0 : Stopwatch.GetTimestamp();
        for (var s = 1; s < shards.Length; s++) ThreadPool.UnsafeQueueUserWorkItem(job, preferLocal: false);
        var onCaller = job.SearchUnclaimed();
        var callerFinished = observer is null ? 0 : Stopwatch.GetTimestamp();
        job.WaitForShardsInFlight();
        observer?.Invoke(new HandOffTimes(queued, Volatile.Read(ref job._poolStarted), callerFinished, job._lastFinished, Stopwatch.GetTimestamp(), onCaller));
        if (job._failure is not null) ExceptionDispatchInfo.Throw(job._failure);
        return job._found;
    }

    /// <summary>
    /// Writes the nearest <paramref name="into"/>.Length of the shards' results into <paramref name="into"/> (and their
    /// distances), nearest first, skipping items <paramref name="live"/> no longer holds; returns how many it wrote.
    /// </summary>
    public static int Merge(ulong[] keys, float[] distances, ReadOnlySpan<int> found, int count, LiveItems live, Span<ulong> into, Span<float> intoDistances)
    {
        Span<int> next = found.Length <= 64 ? stackalloc int[found.Length] : new int[found.Length];
        next.Clear();
        var written = 0;
        while (written < into.Length)
        {
            var best = -1;
            var bestDistance = float.PositiveInfinity;
            for (var s = 0; s < found.Length; s++)
            {
                if (next[s] < found[s] && (best < 0 || distances[s * count + next[s]] < bestDistance))
                {
                    best = s;
                    bestDistance = distances[s * count + next[s]];
                }
            }
            if (best < 0) break;
            var key = keys[best * count + next[best]++];
            // The native index drops removed items itself; the bit set makes it a promise.
            if (!live.Contains((int)key)) continue;
            into[written] = key;
            intoDistances[written++] = bestDistance;
        }
        return written;
    }

    /// <summary>The pool's entry point: searches shards until none is left unclaimed.</summary>
    public void Execute()
    {
        if (_timed) Interlocked.CompareExchange(ref _poolStarted, Stopwatch.GetTimestamp(), 0);
        SearchUnclaimed();
    }

    /// <summary>Searches shards until none is left unclaimed; returns how many this thread searched.</summary>
    private int SearchUnclaimed()
    {
        var searched = 0;
        int shard;
        while ((shard = Interlocked.Increment(ref _claimed) - 1) < _shards.Length)
        {
            try
            {
                _found[shard] = _shards[shard].Search(_query.Span, _keys.AsSpan(shard * _count, _count), _distances.AsSpan(shard * _count, _count));
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            searched++;
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                if (_timed) _lastFinished = Stopwatch.GetTimestamp();
                lock (_found) Monitor.PulseAll(_found);
            }
        }
        return searched;
    }

    private void WaitForShardsInFlight()
    {
        if (Volatile.Read(ref _remaining) == 0) return;
        lock (_found)
        {
            while (Volatile.Read(ref _remaining) > 0) Monitor.Wait(_found);
        }
    }
}

/// <summary>
/// One multi-shard search's <see cref="Stopwatch"/> timestamps (<see cref="ShardSearch.Observer"/>): shards queued, the
/// first pool thread started (0: none had by the time the caller went on), the caller finished its own shards, the
/// last shard finished, the caller went on; and how many shards the caller searched itself.
/// </summary>
internal readonly record struct HandOffTimes(long Queued, long PoolStarted, long CallerFinished, long LastShardFinished, long CallerResumed, int ShardsOnCaller);
