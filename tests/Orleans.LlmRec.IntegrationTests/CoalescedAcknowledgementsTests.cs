using Orleans.LlmRec.Silo.Ingestion;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>Group-committed XACKs: fewer calls, and still no acknowledgement reported before the XACK holding it succeeded.</summary>
public class CoalescedAcknowledgementsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>A fake XACK that holds each call until the test releases it, and records the ids of each call.</summary>
    private sealed class HeldXack
    {
        private readonly Lock _lock = new();
        private readonly List<(string[] Ids, TaskCompletionSource Release)> _calls = [];

        public Task AcknowledgeAsync(IReadOnlyList<RedisValue> ids)
        {
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock) _calls.Add(([.. ids.Select(i => i.ToString())], release));
            return release.Task;
        }

        public int Count
        {
            get { lock (_lock) return _calls.Count; }
        }

        public (string[] Ids, TaskCompletionSource Release) this[int call]
        {
            get { lock (_lock) return _calls[call]; }
        }

        public async Task WaitForCallsAsync(int count)
        {
            var deadline = DateTime.UtcNow + Patience;
            while (Count < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"Not within {Patience.TotalSeconds} s: {count} XACK call(s)");
                await Task.Delay(5);
            }
        }
    }

    private static RedisValue[] Ids(params string[] ids) => [.. ids.Select(i => (RedisValue)i)];

    [Fact]
    public async Task Chunks_that_arrive_while_an_xack_is_in_flight_go_together_in_the_next_and_each_completes_only_after_its_own_xack()
    {
        var xack = new HeldXack();
        var acks = new CoalescedAcknowledgements(xack.AcknowledgeAsync);

        var first = acks.AcknowledgeAsync(Ids("1-0", "2-0"));
        await xack.WaitForCallsAsync(1);
        var second = acks.AcknowledgeAsync(Ids("3-0"));
        var third = acks.AcknowledgeAsync(Ids("4-0", "5-0"));

        // Nothing is reported acknowledged before Redis answered.
        await Task.Delay(50);
        Assert.False(first.IsCompleted);
        Assert.Equal(1, xack.Count);

        xack[0].Release.SetResult();
        await first.WaitAsync(Patience);
        await xack.WaitForCallsAsync(2);
        Assert.Equal(["1-0", "2-0"], xack[0].Ids);
        Assert.Equal(["3-0", "4-0", "5-0"], xack[1].Ids);
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);

        xack[1].Release.SetResult();
        await Task.WhenAll(second, third).WaitAsync(Patience);
        Assert.Equal(2, acks.Calls);
    }

    [Fact]
    public async Task A_failed_xack_fails_exactly_the_chunks_it_held_and_later_chunks_are_still_sent()
    {
        var xack = new HeldXack();
        var acks = new CoalescedAcknowledgements(xack.AcknowledgeAsync);

        var first = acks.AcknowledgeAsync(Ids("1-0"));
        await xack.WaitForCallsAsync(1);
        var second = acks.AcknowledgeAsync(Ids("2-0"));
        xack[0].Release.SetException(new TimeoutException("XACK timed out"));

        await Assert.ThrowsAsync<TimeoutException>(() => first.WaitAsync(Patience));
        await xack.WaitForCallsAsync(2);
        Assert.Equal(["2-0"], xack[1].Ids);
        xack[1].Release.SetResult();
        await second.WaitAsync(Patience);

        // After a quiet spell the next chunk starts a new XACK of its own.
        var third = acks.AcknowledgeAsync(Ids("3-0"));
        await xack.WaitForCallsAsync(3);
        Assert.Equal(["3-0"], xack[2].Ids);
        xack[2].Release.SetResult();
        await third.WaitAsync(Patience);
        Assert.True(acks.AcknowledgeAsync([]).IsCompletedSuccessfully);
    }
}
