using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Users;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>
/// Applies the valid events of each read, several reads at once, with each user's events in stream order: a user's
/// part of a read waits for that user's part of the reads before it, which must succeed (across silos, or after a
/// reclaim, a user's events apply in the order they arrive). A later read's events of a user whose part is still
/// waiting join that part (one grain call, one write, one XACK for both), so under load the calls per event fall.
/// Entries are acknowledged per user in chunks of at most <see cref="MaxUnacknowledgedPerUser"/>, each right after its
/// grain applied it, and a user's next chunk waits for that acknowledgement: whatever is redelivered after a failure
/// is then among the user's last <see cref="UserHistory.EventIdCapacity"/> event ids, which the grain remembers, so it
/// is recognised as a duplicate (as long as fewer than four silos hold unacknowledged events of the same user at
/// once). Acknowledging a whole read at the end would let one user's failure send another user's thousands of
/// applied events round again, past the grain's memory of them.
/// A chunk that fails is left unacknowledged, unless <see cref="ApplyRetries"/> gives it up: then it goes to the
/// dead-letter sink, with the reason, and is acknowledged. Not thread-safe: one consuming loop drives it.
/// </summary>
public sealed class PerUserOrderedApplier(
    Func<IReadOnlyList<UserEvent>, CancellationToken, Task> apply,
    Func<IReadOnlyList<RedisValue>, Task> acknowledge,
    IDeadLetterSink deadLetters,
    ApplyRetries retries,
    TimeProvider time,
    int maxReadsInFlight,
    int readCount)
{
    /// <summary>
    /// The ids a user grain always remembers (its history's own fingerprints; older ones are dropped after an idle
    /// hour), so a redelivered chunk is always recognised (see the class comment).
    /// </summary>
    public const int MaxUnacknowledgedPerUser = UserHistory.HistoryCapacity;

    private readonly List<Task> _inFlight = [];
    private readonly Dictionary<string, UserPart> _lastPartOfUser = new(StringComparer.Ordinal);

    /// <summary>
    /// One user's events to apply in order, after that user's previous part. Until it starts (its previous part is
    /// still being applied), a later read's events of the same user join it instead of queueing a part of their own.
    /// </summary>
    private sealed class UserPart(List<StreamEvent> events)
    {
        public List<StreamEvent> Events { get; } = events;
        public bool Started { get; set; }
        public Task Applied { get; set; } = Task.CompletedTask;
    }

    /// <summary>Reads being applied now.</summary>
    public int InFlight => _inFlight.Count;

    /// <summary>
    /// Starts applying one read's events, each user's part after that user's part of earlier reads. A part that fails
    /// surfaces at the next <see cref="WaitForRoomAsync"/> or <see cref="DrainAsync"/>.
    /// </summary>
    public void Start(IReadOnlyList<StreamEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0) return;
        var parts = new List<Task>();
        foreach (var user in events.GroupBy(e => e.Event.UserId, StringComparer.Ordinal))
        {
            _lastPartOfUser.TryGetValue(user.Key, out var previous);
            // Under load a user's part of the read before is often still waiting for the one before it: this read's
            // events join it, in stream order, so they are applied by one grain call, stored by one write and
            // acknowledged by one XACK, instead of one each per read. This read completes when that part does.
            if (previous is not null && TryJoin(previous, user))
            {
                parts.Add(previous.Applied);
                continue;
            }
            var part = new UserPart([.. user]);
            part.Applied = ApplyUserPartAsync(previous?.Applied, part, cancellationToken);
            _lastPartOfUser[user.Key] = part;
            parts.Add(part.Applied);
        }
        _inFlight.Add(Task.WhenAll(parts));
        // Completed parts need no waiting on; forget them once the map outgrows a few reads' worth of users.
        if (_lastPartOfUser.Count > 4 * readCount)
        {
            foreach (var done in _lastPartOfUser.Where(p => p.Value.Applied.IsCompleted).Select(p => p.Key).ToList()) _lastPartOfUser.Remove(done);
        }
    }

    private static bool TryJoin(UserPart waiting, IEnumerable<StreamEvent> events)
    {
        lock (waiting)
        {
            if (waiting.Started) return false;
            waiting.Events.AddRange(events);
            return true;
        }
    }

    /// <summary>Waits until fewer than the most reads in flight are being applied; rethrows a failed one's exception.</summary>
    public async Task WaitForRoomAsync()
    {
        while (_inFlight.Count >= maxReadsInFlight)
        {
            await Task.WhenAny(_inFlight);
            await ForgetCompletedAsync();
        }
        await ForgetCompletedAsync();
    }

    /// <summary>Waits for every read in flight; with <paramref name="throwOnFailure"/>, rethrows the first failure.</summary>
    public async Task DrainAsync(bool throwOnFailure)
    {
        try
        {
            await Task.WhenAll(_inFlight);
        }
        catch when (!throwOnFailure)
        {
            // Logged by the caller, which is already handling a failure.
        }
        finally
        {
            _inFlight.Clear();
            _lastPartOfUser.Clear();
        }
    }

    private async Task ForgetCompletedAsync()
    {
        if (_inFlight.FirstOrDefault(t => t.IsFaulted || t.IsCanceled) is { } failed)
        {
            // Let the rest settle first, so the pending list is not read while parts of it are still being applied.
            await DrainAsync(throwOnFailure: false);
            await failed;
        }
        _inFlight.RemoveAll(t => t.IsCompleted);
    }

    private async Task ApplyUserPartAsync(Task? previous, UserPart part, CancellationToken cancellationToken)
    {
        if (previous is not null) await previous;
        StreamEvent[] events;
        lock (part)
        {
            // From here on nothing joins: later reads' events of this user wait for this part instead.
            part.Started = true;
            events = [.. part.Events];
        }
        foreach (var chunk in events.Chunk(MaxUnacknowledgedPerUser))
        {
            RedisValue[] ids = [.. chunk.Select(e => e.Entry.Id)];
            try
            {
                await apply([.. chunk.Select(e => e.Event)], cancellationToken);
            }
            catch (Exception e) when (!ApplyRetries.IsOutage(e) && !cancellationToken.IsCancellationRequested)
            {
                if (!retries.FailedAgain(ids, time.GetUtcNow(), out var attempts)) throw;
                // The same events failed the same way every time: set them aside, with the reason, and go on.
                var reason = $"not applied after {attempts} attempts: {e.GetType().Name}: {e.Message}";
                await deadLetters.SetAsideAsync([.. chunk.Select(c => new RejectedEntry(c.Entry, reason))]);
            }
            retries.Forget(ids);
            await acknowledge(ids);
        }
    }
}
