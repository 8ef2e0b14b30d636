using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Grains.Ingestion;

/// <summary>
/// Per silo, at most one ingestion call per user in flight: events for a user whose call is still running wait, and
/// everything that queued meanwhile goes in the next call, as separate batches applied in arrival order with one state
/// write (<see cref="IUserGrain.ApplyEventBatchesAsync"/>). Each caller gets its own batch's result once the write that
/// holds it is done, so "acknowledged after stored" holds per caller. With events spread over many users and several
/// requests in flight, a user often has a call running when the next request's event for them arrives; combining
/// turns those into one grain call and one write instead of a queue of them.
/// A failed call fails every caller whose batch it carried (they retry; events are de-duplicated).
/// </summary>
public sealed class UserEventCombiner
{
    private readonly Lock _lock = new();

    // Users with a call in flight, and the batches waiting for the next one (null: none yet).
    private readonly Dictionary<string, List<Waiting>?> _inFlight = new(StringComparer.Ordinal);

    private readonly record struct Waiting(IReadOnlyList<UserEvent> Events, TaskCompletionSource<ApplyResult> Result);

    /// <summary>Applies one user's events (in order) through <paramref name="grain"/>, combined with other callers' for the same user.</summary>
    public Task<ApplyResult> ApplyAsync(string userId, IUserGrain grain, IReadOnlyList<UserEvent> events)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentNullException.ThrowIfNull(grain);
        ArgumentNullException.ThrowIfNull(events);
        var waiting = new Waiting(events, new TaskCompletionSource<ApplyResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_lock)
        {
            if (_inFlight.TryGetValue(userId, out var queue))
            {
                (queue ??= _inFlight[userId] = []).Add(waiting);
                return waiting.Result.Task;
            }
            _inFlight[userId] = null;
        }
        _ = RunAsync(userId, grain, [waiting]);
        return waiting.Result.Task;
    }

    /// <summary>Number of users with a call in flight (for tests).</summary>
    internal int UsersInFlight
    {
        get
        {
            lock (_lock) return _inFlight.Count;
        }
    }

    private async Task RunAsync(string userId, IUserGrain grain, List<Waiting> batch)
    {
        while (true)
        {
            try
            {
                var results = batch.Count == 1
                    ? [await grain.ApplyEventsAsync(batch[0].Events)]
                    : await grain.ApplyEventBatchesAsync([.. batch.Select(w => w.Events)]);
                if (results.Count != batch.Count)
                {
                    throw new InvalidOperationException($"The user grain answered {results.Count} results for {batch.Count} batches.");
                }
                for (var i = 0; i < batch.Count; i++) batch[i].Result.TrySetResult(results[i]);
            }
            catch (Exception e)
            {
                foreach (var waiting in batch) waiting.Result.TrySetException(e);
            }
            lock (_lock)
            {
                if (_inFlight[userId] is not { Count: > 0 } next)
                {
                    _inFlight.Remove(userId);
                    return;
                }
                _inFlight[userId] = null;
                batch = next;
            }
        }
    }
}
