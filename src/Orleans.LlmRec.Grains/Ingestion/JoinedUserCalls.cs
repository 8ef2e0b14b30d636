using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.Ingestion;

/// <summary>
/// Concurrent HTTP batches' events of one user applied by one grain call, and so one state write: while this process
/// has a call for a user in flight, the events of that user in later batches wait, and all that arrive meanwhile join
/// one next call, in arrival order (the stream path joins its reads the same way, in PerUserOrderedApplier). A grain
/// call and a write cost the silo and Redis far more than an event does, and a batch of 100 random events reaches ~92
/// users: without this, every batch made ~92 calls and writes of about one event each.
/// </summary>
/// <remarks>
/// Every batch still completes only when the call holding its events succeeded (the grain answers after the write),
/// and a failed call fails exactly the batches whose events it held. Each batch gets its own counts: the grain says at
/// which positions it found duplicates (<see cref="ApplyResult.DuplicateIndexes"/>). A user's calls from this process
/// run one after another, in the order they were made; a call made for several batches carries the first one's
/// request budget. Thread-safe: one lock around the users with a call in flight or waiting.
/// </remarks>
public sealed class JoinedUserCalls(Func<string, IReadOnlyList<UserEvent>, Task<ApplyResult>> apply)
{
    private readonly Dictionary<string, UserCall> _latest = new(StringComparer.Ordinal);

    public JoinedUserCalls(IGrainFactory grains) : this((user, events) => grains.GetUserGrain(user).ApplyEventsAsync(events))
    {
    }

    /// <summary>Users with a call in flight or waiting (what a test looks at: none once every call has finished).</summary>
    public int Users
    {
        get
        {
            lock (_latest) return _latest.Count;
        }
    }

    /// <summary>Applies one batch's events of one user; completes when the call that holds them has.</summary>
    public async Task<ApplyResult> ApplyAsync(string userId, IReadOnlyList<UserEvent> events)
    {
        UserCall call;
        UserCall? previous = null;
        var offset = 0;
        var starts = false;
        lock (_latest)
        {
            if (_latest.TryGetValue(userId, out var latest) && !latest.Started)
            {
                call = latest;
                offset = call.Events.Count;
                call.Events.AddRange(events);
                call.Batches++;
            }
            else
            {
                previous = latest;
                call = new UserCall([.. events]);
                _latest[userId] = call;
                starts = true;
            }
        }
        if (starts) await RunAsync(userId, call, previous);
        var result = await call.Done.Task;
        return call.Batches == 1 ? result : ShareOf(result, call.Events.Count, offset, events.Count);
    }

    private async Task RunAsync(string userId, UserCall call, UserCall? previous)
    {
        // After the user's call before, whatever its outcome: that was other batches' events.
        if (previous is not null) await ((Task)previous.Done.Task).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_latest) call.Started = true;
        ApplyResult result;
        try
        {
            result = await apply(userId, call.Events);
        }
        catch (Exception e)
        {
            Forget(userId, call);
            call.Done.SetException(e);
            return;
        }
        Forget(userId, call);
        call.Done.SetResult(result);
    }

    private void Forget(string userId, UserCall call)
    {
        lock (_latest)
        {
            if (_latest.TryGetValue(userId, out var latest) && latest == call) _latest.Remove(userId);
        }
    }

    /// <summary>One batch's part of a joined call's result: the events at <paramref name="offset"/>, <paramref name="count"/> of them.</summary>
    internal static ApplyResult ShareOf(ApplyResult joined, int total, int offset, int count)
    {
        int duplicates;
        if (joined.DuplicateIndexes is { } indexes)
        {
            duplicates = 0;
            foreach (var i in indexes)
            {
                if (i >= offset && i < offset + count) duplicates++;
            }
        }
        else
        {
            // A grain of an older version does not say which events were duplicates: a re-sent batch is the later one,
            // so they are counted from the last batch backwards.
            duplicates = Math.Clamp(joined.Duplicates - (total - offset - count), 0, count);
        }
        return new ApplyResult { Applied = count - duplicates, Duplicates = duplicates };
    }

    private sealed class UserCall(List<UserEvent> events)
    {
        public List<UserEvent> Events { get; } = events;

        /// <summary>Batches whose events this call holds.</summary>
        public int Batches { get; set; } = 1;

        /// <summary>Set under the lock when the call is made: from then on nothing joins it.</summary>
        public bool Started { get; set; }

        public TaskCompletionSource<ApplyResult> Done { get; } = new();
    }
}
