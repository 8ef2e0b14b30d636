using Microsoft.Extensions.Logging.Abstractions;
using Orleans.LlmRec.Grains.Users;
using Orleans.Storage;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>One write per turn: events that arrive while a write is in flight are stored by the next, and each caller is released only by the write that holds its change.</summary>
public class CoalescedWritesTests
{
    private readonly FakeStorage<UserState> _settings = new();
    private readonly FakeStorage<UserActivity> _activity = new();
    private readonly List<Exception> _failures = [];

    private UserStateStore Store(int maxAttempts = 3) => new(_settings, _activity, maxAttempts, NullLogger.Instance, "u", _failures.Add);

    private static Func<UserState, StateParts> Click(string eventId, string itemId = "3") =>
        s => s.Apply([TestWorld.Event(eventId, itemId)]).Applied > 0 ? StateParts.Activity : StateParts.None;

    [Fact]
    public async Task Events_arriving_during_a_write_share_the_next_one_and_are_released_only_once_stored()
    {
        var store = Store();
        var gate = _activity.Gate = new TaskCompletionSource();
        var first = store.Writes.UpdateAsync(Click("e0"));
        var second = _activity.Gate = new TaskCompletionSource();
        var waiting = Enumerable.Range(1, 99).Select(i => store.Writes.UpdateAsync(Click($"e{i}", $"{i}"))).ToList();

        Assert.Equal(1, _activity.WriteAttempts);
        Assert.False(first.IsCompleted);
        gate.SetResult();
        await first;
        // The 99 others are held by the second write, which is still at its gate: none is acknowledged yet.
        Assert.All(waiting, t => Assert.False(t.IsCompleted));
        Assert.Equal(2, _activity.WriteAttempts);
        second.SetResult();
        await Task.WhenAll(waiting);

        Assert.Equal(2, store.Writes.Writes);
        Assert.Equal(100, _activity.Stored.History.Interactions.Count);
        Assert.Equal(0, _settings.WriteAttempts);
        Assert.False(store.Writes.HasUnwritten);
    }

    [Fact]
    public async Task A_failing_write_fails_exactly_the_callers_it_held_and_the_next_write_stores_their_changes()
    {
        var store = Store();
        var gate = _activity.Gate = new TaskCompletionSource();
        _activity.FailNext = new TimeoutException("storage down");
        var failed = store.Writes.UpdateAsync(Click("a"));
        var joined = new[] { store.Writes.UpdateAsync(Click("b", "4")), store.Writes.UpdateAsync(Click("c", "5")) };
        gate.SetResult();

        await Assert.ThrowsAsync<TimeoutException>(() => failed);
        await Task.WhenAll(joined);
        Assert.IsType<TimeoutException>(Assert.Single(_failures));
        // "a" was applied in memory before its write failed: the next write stored it along (its sender retries,
        // and the retry is a duplicate of what storage now holds).
        Assert.Equal(["3", "4", "5"], _activity.Stored.History.Interactions.Select(r => r.ItemId));
    }

    [Fact]
    public async Task A_re_sent_event_found_in_memory_is_acknowledged_only_once_storage_holds_it()
    {
        var store = Store();
        _activity.FailNext = new TimeoutException("storage down");
        await Assert.ThrowsAsync<TimeoutException>(() => store.Writes.UpdateAsync(Click("a")));
        Assert.Empty(_activity.Stored.History.Interactions);

        // The retry changes nothing in memory (a duplicate), but what it duplicates is not stored: it waits for a write.
        var gate = _activity.Gate = new TaskCompletionSource();
        var retry = store.Writes.UpdateAsync(Click("a"));
        Assert.False(retry.IsCompleted);
        gate.SetResult();
        await retry;
        Assert.Equal("3", Assert.Single(_activity.Stored.History.Interactions).ItemId);

        // Nothing unwritten any more: a duplicate now writes nothing.
        var attempts = _activity.WriteAttempts;
        await store.Writes.UpdateAsync(Click("a"));
        Assert.Equal(attempts, _activity.WriteAttempts);
    }

    [Fact]
    public async Task A_write_conflict_re_reads_and_re_applies_so_both_writers_changes_survive()
    {
        var store = Store();
        _settings.WriteBehindOurBack(s => s.SetPreferences("theirs"));
        _activity.WriteBehindOurBack(a => a.History.TryRecord(TestWorld.Event("x", "9")));

        await store.Writes.UpdateAsync(Click("e1"));

        Assert.Equal(2, _activity.WriteAttempts);
        Assert.Equal(["9", "3"], _activity.Stored.History.Interactions.Select(r => r.ItemId));
        Assert.Equal("theirs", store.State.Preferences);
        Assert.Same(_activity.State.History, store.State.History);
    }

    [Fact]
    public async Task Nothing_is_written_when_the_re_read_state_already_has_the_change()
    {
        var store = Store();
        // Another activation applied the same event first: after re-reading, ours is a duplicate.
        _activity.WriteBehindOurBack(a => a.History.TryRecord(TestWorld.Event("e1", "3")));
        await store.Writes.UpdateAsync(Click("e1"));
        Assert.Equal(1, _activity.WriteAttempts);
        Assert.Single(_activity.Stored.History.Interactions);
    }

    [Fact]
    public async Task Conflicts_beyond_the_attempt_limit_surface_to_the_caller()
    {
        var activity = new FakeStorage<UserActivity> { ConflictEveryWrite = true };
        var store = new UserStateStore(_settings, activity, 3, NullLogger.Instance, "u", _failures.Add);
        await Assert.ThrowsAsync<InconsistentStateException>(() => store.Writes.UpdateAsync(Click("e1")));
        Assert.Equal(3, activity.WriteAttempts);
        Assert.Empty(activity.Stored.History.Interactions);
        Assert.True(store.Writes.HasUnwritten);
    }

    [Fact]
    public async Task Only_the_parts_a_change_touched_are_written()
    {
        var store = Store();
        await store.Writes.UpdateAsync(_ => StateParts.None);
        Assert.Equal((0, 0), (_activity.WriteAttempts, _settings.WriteAttempts));
        await store.Writes.UpdateAsync(Click("e1"));
        Assert.Equal((1, 0), (_activity.WriteAttempts, _settings.WriteAttempts));
        await store.Writes.UpdateAsync(s => s.SetPreferences("noir") ? StateParts.Settings : StateParts.None);
        Assert.Equal((1, 1), (_activity.WriteAttempts, _settings.WriteAttempts));
        Assert.Equal("noir", _settings.Stored.Preferences);
    }
}
