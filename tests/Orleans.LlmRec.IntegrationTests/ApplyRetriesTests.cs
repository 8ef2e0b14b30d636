using Orleans.LlmRec.Silo.Ingestion;
using Orleans.Persistence.Redis;
using Orleans.Storage;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>Which failures of applying stream entries are outages, and when an entry is given up (no Redis needed).</summary>
public class ApplyRetriesTests
{
    private static readonly DateTimeOffset T0 = new(2025, 6, 7, 8, 0, 0, TimeSpan.Zero);

    public static TheoryData<Exception, bool> Failures => new()
    {
        { new TimeoutException(), true },
        { new RedisConnectionException(ConnectionFailureType.SocketFailure, CommandFlags.None, "down", null, CommandStatus.Unknown), true },
        { new InconsistentStateException("etag conflict"), true },
        { new SiloUnavailableException(), true },
        { new RedisStorageException("write failed", new RedisTimeoutException(CommandFlags.None, "slow", CommandStatus.Sent)), true },
        { new AggregateException(new InvalidOperationException(), new TimeoutException()), true },
        { new InvalidOperationException("bad state"), false },
        { new RedisStorageException("read failed", new FormatException("not a user")), false },
        { new AggregateException(new InvalidOperationException(), new FormatException()), false },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Outages_are_told_apart_from_failures_that_are_about_the_entries(Exception failure, bool outage)
    {
        Assert.Equal(outage, ApplyRetries.IsOutage(failure));
    }

    [Fact]
    public void Entries_are_given_up_only_after_enough_attempts_spanning_enough_time()
    {
        var retries = new ApplyRetries(maxAttempts: 3, minSpan: TimeSpan.FromSeconds(10));
        RedisValue[] ids = ["1-0", "2-0"];

        Assert.False(retries.FailedAgain(ids, T0, out var attempts));
        Assert.Equal(1, attempts);
        Assert.False(retries.FailedAgain(ids, T0.AddSeconds(1), out _));
        // Enough attempts, but all within a few seconds: a short hiccup must not set good events aside.
        Assert.False(retries.FailedAgain(ids, T0.AddSeconds(2), out attempts));
        Assert.Equal(3, attempts);
        Assert.True(retries.FailedAgain(ids, T0.AddSeconds(10), out attempts));
        Assert.Equal(4, attempts);
        Assert.Equal(2, retries.Tracked);
    }

    [Fact]
    public void A_group_counts_its_most_failed_entry_and_its_earliest_failure_and_forgetting_starts_over()
    {
        var retries = new ApplyRetries(maxAttempts: 2, minSpan: TimeSpan.FromSeconds(5));
        Assert.False(retries.FailedAgain(["1-0"], T0, out _));
        // "2-0" fails for the first time, but it is applied with "1-0", which failed before and long enough ago.
        Assert.True(retries.FailedAgain(["1-0", "2-0"], T0.AddSeconds(5), out var attempts));
        Assert.Equal(2, attempts);

        retries.Forget(["1-0", "2-0"]);
        Assert.Equal(0, retries.Tracked);
        Assert.False(retries.FailedAgain(["1-0"], T0.AddSeconds(60), out attempts));
        Assert.Equal(1, attempts);
    }
}
