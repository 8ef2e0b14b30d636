using Orleans.Storage;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// One storage write per grain turn, not per call: a change is applied to memory at once, and the caller awaits the
/// write that holds it. While a write is in flight, every change made meanwhile (calls that interleave with it) joins
/// the next one, so a busy user's events are stored a batch at a time (group commit). A caller's task completes only
/// after a write holding its change succeeded; a failed write fails exactly the callers it held, and its parts stay
/// marked unwritten, so the next write stores them too. A caller whose change changed nothing still waits for
/// anything unwritten (a re-sent event found in memory is acknowledged only once storage holds it).
/// Write conflicts (another activation wrote) re-read the state and re-apply every change not yet written, in order.
/// Runs on the grain's scheduler: no locks, one turn at a time.
/// </summary>
public sealed class CoalescedWrites<T>(Func<T> current, Func<StateParts, Task> write, Func<Task> reread, int maxAttempts, Action<Exception>? onFailed = null)
{
    private Batch? _pending;
    private Batch? _inFlight;
    private StateParts _unwritten;

    /// <summary>Storage writes started (what a test or a metric compares with the events applied).</summary>
    public long Writes { get; private set; }

    /// <summary>True while something applied in memory is not known to be stored.</summary>
    public bool HasUnwritten => _pending is not null || _inFlight is not null || _unwritten != StateParts.None;

    /// <summary>Applies <paramref name="mutate"/> now; the task completes when storage holds it (at once when nothing is unwritten).</summary>
    public Task UpdateAsync(Func<T, StateParts> mutate)
    {
        ArgumentNullException.ThrowIfNull(mutate);
        var parts = mutate(current());
        if (parts == StateParts.None && !HasUnwritten) return Task.CompletedTask;
        var batch = _pending ??= new Batch();
        batch.Parts |= parts;
        if (parts != StateParts.None) batch.Mutations.Add(mutate);
        if (_inFlight is null) _ = RunAsync();
        return batch.Done.Task;
    }

    private async Task RunAsync()
    {
        while (_pending is { } batch)
        {
            _pending = null;
            _inFlight = batch;
            var parts = batch.Parts | _unwritten;
            _unwritten = StateParts.None;
            try
            {
                await WriteAsync(batch, parts);
                batch.Done.TrySetResult();
            }
            catch (Exception e)
            {
                _unwritten |= parts;
                onFailed?.Invoke(e);
                batch.Done.TrySetException(e);
            }
            finally
            {
                _inFlight = null;
            }
        }
    }

    private async Task WriteAsync(Batch batch, StateParts parts)
    {
        for (var attempt = 1; parts != StateParts.None; attempt++)
        {
            try
            {
                Writes++;
                await write(parts);
                return;
            }
            catch (InconsistentStateException) when (attempt < maxAttempts)
            {
                // Another writer got there first: start from what it stored and make every unwritten change again.
                await reread();
                var state = current();
                parts = StateParts.None;
                foreach (var mutate in batch.Mutations) parts |= mutate(state);
                if (_pending is { } next)
                {
                    var nextParts = StateParts.None;
                    foreach (var mutate in next.Mutations) nextParts |= mutate(state);
                    next.Parts = nextParts;
                }
            }
        }
    }

    private sealed class Batch
    {
        public StateParts Parts;
        public readonly List<Func<T, StateParts>> Mutations = [];
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
