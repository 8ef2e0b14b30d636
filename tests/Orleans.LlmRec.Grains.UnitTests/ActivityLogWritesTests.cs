using Microsoft.Extensions.Logging.Abstractions;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>
/// <see cref="CoalescedWrites{T}"/> over the append-style activity store: a failing append fails exactly the callers
/// it held and the next one stores their changes; an append that landed but whose answer was lost is re-read, never
/// appended twice.
/// </summary>
public class ActivityLogWritesTests
{
    private readonly FlakyStore _store = new();
    private readonly FakeStorage<UserState> _settings = new();
    private readonly List<Exception> _failures = [];

    private async Task<UserStateStore> StoreAsync()
    {
        var activity = new ActivityLogState(_store, FakeStorage<UserActivity>.Serializer, "u");
        await activity.ReadStateAsync();
        return new UserStateStore(_settings, activity, 3, NullLogger.Instance, "u", _failures.Add);
    }

    private static Func<UserState, StateParts> Click(string eventId, string itemId) =>
        s => s.Apply([TestWorld.Event(eventId, itemId)]).Applied > 0 ? StateParts.Activity : StateParts.None;

    private async Task<List<string>> StoredItemsAsync()
    {
        var value = await _store.ReadAsync("u");
        return value is null ? [] : [.. ActivityLogCodec.Read(value, m => FakeStorage<UserActivity>.Serializer.Deserialize<UserActivity>(m)!).Activity.History.Interactions.Select(r => r.ItemId)];
    }

    [Fact]
    public async Task A_failing_append_fails_exactly_the_callers_it_held_and_the_next_write_stores_their_changes()
    {
        var store = await StoreAsync();
        await store.Writes.UpdateAsync(Click("a", "1"));
        var gate = _store.Gate = new TaskCompletionSource();
        _store.FailNext = new TimeoutException("storage down");
        var failed = new[] { store.Writes.UpdateAsync(Click("b", "2")) };
        // Arrive while the failing write is in flight: held by the next write.
        var later = new[] { store.Writes.UpdateAsync(Click("c", "3")), store.Writes.UpdateAsync(Click("d", "4")) };
        gate.SetResult();

        await Assert.ThrowsAsync<TimeoutException>(() => failed[0]);
        await Task.WhenAll(later);
        Assert.IsType<TimeoutException>(Assert.Single(_failures));
        // "b" was applied in memory: the next append carried it along, once.
        Assert.Equal(["1", "2", "3", "4"], await StoredItemsAsync());
    }

    [Fact]
    public async Task An_append_that_landed_but_was_not_confirmed_is_re_read_not_appended_again()
    {
        var store = await StoreAsync();
        await store.Writes.UpdateAsync(Click("a", "1"));
        _store.LoseNextAnswer = true;
        await Assert.ThrowsAsync<TimeoutException>(() => store.Writes.UpdateAsync(Click("b", "2")));
        Assert.Equal(["1", "2"], await StoredItemsAsync());

        // The next write finds a longer value than it wrote last: a conflict, so it re-reads (holding "b") and appends only "c".
        await store.Writes.UpdateAsync(Click("c", "3"));
        Assert.Equal(["1", "2", "3"], await StoredItemsAsync());
        // The sender of "b" retries: a duplicate now.
        await store.Writes.UpdateAsync(Click("b", "2"));
        Assert.Equal(["1", "2", "3"], await StoredItemsAsync());
        Assert.Equal(3, store.State.History.TotalInteractions);
    }

    /// <summary>An in-memory store whose next write can wait at a gate, fail before writing, or write and then fail.</summary>
    private sealed class FlakyStore : IActivityLogStore
    {
        private readonly InMemoryActivityLogStore _inner = new();

        public TaskCompletionSource? Gate { get; set; }
        public Exception? FailNext { get; set; }
        public bool LoseNextAnswer { get; set; }

        public Task<byte[]?> ReadAsync(string userId) => _inner.ReadAsync(userId);

        public Task<bool> TryAppendAsync(string userId, ActivityLogVersion expected, ReadOnlyMemory<byte> chunk) =>
            WriteAsync(() => _inner.TryAppendAsync(userId, expected, chunk));

        public Task<bool> TryReplaceAsync(string userId, ActivityLogVersion expected, ReadOnlyMemory<byte> value) =>
            WriteAsync(() => _inner.TryReplaceAsync(userId, expected, value));

        private async Task<bool> WriteAsync(Func<Task<bool>> write)
        {
            if (Gate is { } gate)
            {
                Gate = null;
                await gate.Task;
            }
            if (FailNext is { } failure)
            {
                FailNext = null;
                throw failure;
            }
            var written = await write();
            if (!LoseNextAnswer) return written;
            LoseNextAnswer = false;
            throw new TimeoutException("written, but the answer was lost");
        }
    }
}
