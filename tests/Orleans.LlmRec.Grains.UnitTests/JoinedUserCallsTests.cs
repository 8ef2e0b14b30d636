using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>Concurrent batches' events of one user share a grain call; each batch still gets its own outcome.</summary>
public class JoinedUserCallsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>A fake user grain call: held until released, then applied to one real history per user (so duplicates are real).</summary>
    private sealed class HeldUserCalls
    {
        private readonly Dictionary<string, UserHistory> _histories = [];

        public List<(string User, List<string> EventIds, TaskCompletionSource<Exception?> Release)> Calls { get; } = [];

        public async Task<ApplyResult> ApplyAsync(string user, IReadOnlyList<UserEvent> events)
        {
            var release = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (Calls) Calls.Add((user, [.. events.Select(e => e.EventId)], release));
            if (await release.Task is { } failure) throw failure;
            lock (_histories)
            {
                if (!_histories.TryGetValue(user, out var history)) _histories[user] = history = new UserHistory();
                return history.Apply(events);
            }
        }

        public async Task WaitForCallsAsync(int count)
        {
            using var cancel = new CancellationTokenSource(Patience);
            while (true)
            {
                lock (Calls) if (Calls.Count >= count) return;
                await Task.Delay(5, cancel.Token);
            }
        }
    }

    private static UserEvent[] Events(string user, params string[] ids) => [.. ids.Select(id => TestWorld.Event(id, "1", userId: user))];

    [Fact]
    public async Task Batches_arriving_while_a_users_call_is_in_flight_join_one_next_call_and_each_gets_its_own_counts()
    {
        var grain = new HeldUserCalls();
        var joined = new JoinedUserCalls(grain.ApplyAsync);

        var first = joined.ApplyAsync("u", Events("u", "a1"));
        await grain.WaitForCallsAsync(1);
        var second = joined.ApplyAsync("u", Events("u", "b1", "b2"));
        // Re-sends b2 (a duplicate of the batch before it in the same call) and a1 (already applied by the first call).
        var third = joined.ApplyAsync("u", Events("u", "b2", "c1", "a1"));
        var otherUser = joined.ApplyAsync("v", Events("v", "a1"));
        await grain.WaitForCallsAsync(2);
        Assert.Equal("v", grain.Calls[1].User);

        grain.Calls[0].Release.SetResult(null);
        Assert.Equal((1, 0), Counts(await first.WaitAsync(Patience)));
        await grain.WaitForCallsAsync(3);
        Assert.Equal(["b1", "b2", "b2", "c1", "a1"], grain.Calls[2].EventIds);
        // Nobody is answered before the call holding their events has.
        Assert.False(second.IsCompleted || third.IsCompleted);

        grain.Calls[2].Release.SetResult(null);
        grain.Calls[1].Release.SetResult(null);
        Assert.Equal((2, 0), Counts(await second.WaitAsync(Patience)));
        Assert.Equal((1, 2), Counts(await third.WaitAsync(Patience)));
        Assert.Equal((1, 0), Counts(await otherUser.WaitAsync(Patience)));
        Assert.Equal(3, grain.Calls.Count);
        Assert.Equal(0, joined.Users);
    }

    [Fact]
    public async Task A_failed_call_fails_exactly_the_batches_it_held_and_the_users_next_call_still_goes()
    {
        var grain = new HeldUserCalls();
        var joined = new JoinedUserCalls(grain.ApplyAsync);

        var first = joined.ApplyAsync("u", Events("u", "a1"));
        await grain.WaitForCallsAsync(1);
        var second = joined.ApplyAsync("u", Events("u", "b1"));
        var third = joined.ApplyAsync("u", Events("u", "c1"));
        grain.Calls[0].Release.SetResult(new InvalidOperationException("storage down"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => first.WaitAsync(Patience));

        // The next call goes after a failed one; it fails on its own, for both batches it holds.
        await grain.WaitForCallsAsync(2);
        var fourth = joined.ApplyAsync("u", Events("u", "d1"));
        grain.Calls[1].Release.SetResult(new TimeoutException("slow"));
        await Assert.ThrowsAsync<TimeoutException>(() => second.WaitAsync(Patience));
        await Assert.ThrowsAsync<TimeoutException>(() => third.WaitAsync(Patience));

        await grain.WaitForCallsAsync(3);
        grain.Calls[2].Release.SetResult(null);
        Assert.Equal((1, 0), Counts(await fourth.WaitAsync(Patience)));
        Assert.Equal(["d1"], grain.Calls[2].EventIds);
        Assert.Equal(0, joined.Users);
    }

    [Fact]
    public void Without_duplicate_positions_a_joined_calls_duplicates_are_counted_from_the_last_batch_backwards()
    {
        // An older grain says only "2 of 5 were duplicates": batches of 3 (first) and 2 (last).
        var joined = new ApplyResult { Applied = 3, Duplicates = 2 };
        Assert.Equal((3, 0), Counts(JoinedUserCalls.ShareOf(joined, total: 5, offset: 0, count: 3)));
        Assert.Equal((0, 2), Counts(JoinedUserCalls.ShareOf(joined, total: 5, offset: 3, count: 2)));
        var more = new ApplyResult { Applied = 1, Duplicates = 4 };
        Assert.Equal((1, 2), Counts(JoinedUserCalls.ShareOf(more, total: 5, offset: 0, count: 3)));
    }

    [Fact]
    public void The_history_reports_where_duplicates_were_and_nothing_when_there_were_none()
    {
        var history = new UserHistory();
        history.SeedFrom([new RecentInteraction { ItemId = "1", Type = UserEventType.Click, Timestamp = DateTimeOffset.UnixEpoch }]);
        var fresh = history.Apply(Events("u", "e1", "e2"));
        Assert.Null(fresh.DuplicateIndexes);
        var again = history.Apply(Events("u", "e3", "e1", "e4", "e2", "e3"));
        Assert.Equal([1, 3, 4], again.DuplicateIndexes);
        Assert.Equal((2, 3), Counts(again));
        // Older than the history: found in the older window (the history keeps 200).
        for (var i = 0; i < UserHistory.HistoryCapacity; i++) history.Apply(Events("u", $"f{i}"));
        Assert.Equal([0], history.Apply(Events("u", "e1")).DuplicateIndexes);
    }

    private static (int Applied, int Duplicates) Counts(ApplyResult result) => (result.Applied, result.Duplicates);
}
