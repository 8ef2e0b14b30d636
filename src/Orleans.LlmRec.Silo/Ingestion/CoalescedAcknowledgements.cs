using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>
/// Acknowledges stream entries in as few XACKs as possible without acknowledging anything early. The applier
/// acknowledges each user's chunk right after its grain stored it; with a read's events spread over hundreds of users
/// that was one XACK per user part (in the million-users run, one per event): a Redis command, its AOF record and a
/// round trip each. Here the chunks that come in while one XACK is in flight are sent together as the next one (a
/// group commit). Each caller's task completes only when the XACK that holds its ids succeeded, and fails with it, so
/// a chunk is still acknowledged only after its write, and a user's next chunk still waits for its acknowledgement.
/// Thread-safe: the parts of several reads acknowledge at once.
/// </summary>
public sealed class CoalescedAcknowledgements(Func<IReadOnlyList<RedisValue>, Task> acknowledge)
{
    private readonly Lock _lock = new();
    private List<RedisValue> _queued = [];
    private TaskCompletionSource? _queuedDone;
    private bool _sending;
    private int _calls;

    /// <summary>XACK calls made (for tests and the benchmark's arithmetic).</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Completes once an XACK holding every id of <paramref name="entryIds"/> succeeded; fails if it failed.</summary>
    public Task AcknowledgeAsync(IReadOnlyList<RedisValue> entryIds)
    {
        if (entryIds.Count == 0) return Task.CompletedTask;
        lock (_lock)
        {
            _queued.AddRange(entryIds);
            _queuedDone ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var done = _queuedDone.Task;
            if (!_sending)
            {
                _sending = true;
                _ = SendAsync();
            }
            return done;
        }
    }

    private async Task SendAsync()
    {
        // Let the other parts that finish in this burst join the first XACK.
        await Task.Yield();
        while (true)
        {
            List<RedisValue> ids;
            TaskCompletionSource done;
            lock (_lock)
            {
                if (_queued.Count == 0)
                {
                    _sending = false;
                    return;
                }
                (ids, done) = (_queued, _queuedDone!);
                (_queued, _queuedDone) = ([], null);
            }
            try
            {
                Interlocked.Increment(ref _calls);
                await acknowledge(ids);
                done.SetResult();
            }
            catch (Exception e)
            {
                // Every chunk of this XACK stays pending: each caller sees the failure, as if it had sent its own.
                done.SetException(e);
            }
        }
    }
}
