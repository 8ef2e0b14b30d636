using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Ingestion;

namespace Orleans.LlmRec.Grains.UnitTests;

public class UserEventCombinerTests
{
    /// <summary>A user grain whose ingestion calls wait until released, recording what each call carried.</summary>
    private sealed class GatedGrain : IUserGrain
    {
        public List<IReadOnlyList<IReadOnlyList<UserEvent>>> Calls { get; } = [];
        public TaskCompletionSource Gate { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Exception? Failure { get; set; }

        public async Task<ApplyResult> ApplyEventsAsync(IReadOnlyList<UserEvent> events) => (await ApplyEventBatchesAsync([events]))[0];

        public async Task<IReadOnlyList<ApplyResult>> ApplyEventBatchesAsync(IReadOnlyList<IReadOnlyList<UserEvent>> batches)
        {
            lock (Calls) Calls.Add(batches);
            await Gate.Task;
            if (Failure is { } failure) throw failure;
            // Applied = the batch's size, duplicates = its position, so each caller's own result is recognisable.
            return batches.Select((b, i) => new ApplyResult { Applied = b.Count, Duplicates = i }).ToList();
        }

        public Task<Feed> GetFeedAsync(FeedRequest request) => throw new NotSupportedException();
        public Task<UserView> GetUserAsync() => throw new NotSupportedException();
        public Task<UserView> SetPreferencesAsync(string? preferences) => throw new NotSupportedException();
        public Task ApplyProfileAsync(ProfileUpdate update) => throw new NotSupportedException();
        public Task ApplyRerankAsync(RerankUpdate update) => throw new NotSupportedException();
    }

    private static UserEvent[] Events(string prefix, int count) =>
        Enumerable.Range(0, count).Select(i => TestWorld.Event($"{prefix}{i}", "1")).ToArray();

    [Fact]
    public async Task Batches_arriving_while_a_call_runs_go_together_in_the_next_call_in_order()
    {
        var combiner = new UserEventCombiner();
        var grain = new GatedGrain();
        var other = new GatedGrain();
        other.Gate.SetResult();

        var first = combiner.ApplyAsync("u", grain, Events("a", 1));
        var second = combiner.ApplyAsync("u", grain, Events("b", 2));
        var third = combiner.ApplyAsync("u", grain, Events("c", 3));
        // Another user is not held up by this one.
        Assert.Equal(4, (await combiner.ApplyAsync("v", other, Events("d", 4))).Applied);
        Assert.Single(grain.Calls);
        Assert.False(second.IsCompleted);

        var nextGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstGate = grain.Gate;
        grain.Gate = nextGate;
        firstGate.SetResult();
        Assert.Equal(new ApplyResult { Applied = 1, Duplicates = 0 }, await first);
        // The second and third callers' batches travel together, in arrival order, and are not answered before that call ends.
        await WaitUntil(() => grain.Calls.Count == 2);
        Assert.Equal(["b0", "b1", "c0", "c1", "c2"], grain.Calls[1].SelectMany(b => b).Select(e => e.EventId));
        Assert.Equal(2, grain.Calls[1].Count);
        Assert.False(second.IsCompleted);
        nextGate.SetResult();
        Assert.Equal(new ApplyResult { Applied = 2, Duplicates = 0 }, await second);
        Assert.Equal(new ApplyResult { Applied = 3, Duplicates = 1 }, await third);
        await WaitUntil(() => combiner.UsersInFlight == 0);
    }

    [Fact]
    public async Task A_failed_call_fails_every_caller_it_carried_and_the_next_call_goes_through()
    {
        var combiner = new UserEventCombiner();
        var grain = new GatedGrain();
        var first = combiner.ApplyAsync("u", grain, Events("a", 1));
        var second = combiner.ApplyAsync("u", grain, Events("b", 1));
        var third = combiner.ApplyAsync("u", grain, Events("c", 1));
        grain.Failure = new TimeoutException("storage down");
        grain.Gate.SetResult();
        Assert.Equal("storage down", (await Assert.ThrowsAsync<TimeoutException>(() => first)).Message);
        await Assert.ThrowsAsync<TimeoutException>(() => second);
        await Assert.ThrowsAsync<TimeoutException>(() => third);
        Assert.Equal(2, grain.Calls.Count);
        await WaitUntil(() => combiner.UsersInFlight == 0);

        grain.Failure = null;
        Assert.Equal(1, (await combiner.ApplyAsync("u", grain, Events("d", 1))).Applied);
        Assert.Equal(3, grain.Calls.Count);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }
}
