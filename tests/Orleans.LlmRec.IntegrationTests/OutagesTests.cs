using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Silo.Cluster;
using Orleans.Persistence.Redis;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>What the HTTP API answers 503 to, looking through Orleans' and the storage provider's wrappers (no Redis needed).</summary>
public class OutagesTests
{
    private static RedisConnectionException Down() => new(ConnectionFailureType.SocketFailure, CommandFlags.None, "down", null, CommandStatus.Unknown);

    public static TheoryData<Exception, OutageKind?> Failures => new()
    {
        // Redis down or paused while a grain writes: Orleans wraps the provider's exception, which wraps SE.Redis's.
        { new OrleansException("grain call failed", new RedisStorageException("write failed", Down())), OutageKind.Storage },
        { new RedisStorageException("write failed", new RedisTimeoutException(CommandFlags.None, "slow", CommandStatus.Sent)), OutageKind.Storage },
        { new OperationCanceledException("Message expired before placement could complete"), OutageKind.Timeout },
        { new TimeoutException(), OutageKind.Timeout },
        { new SiloUnavailableException(), OutageKind.Cluster },
        { new OrleansException("wrapped", new SiloUnavailableException()), OutageKind.Cluster },
        { new EventsNotAppliedException(["a"], ["b"], new TimeoutException()), OutageKind.Timeout },
        { new AggregateException(new InvalidOperationException(), Down()), OutageKind.Storage },
        // Damaged state or a bug: retrying cannot help, so not an outage (500, logged with its stack trace).
        { new RedisStorageException("read failed", new FormatException("not a user")), null },
        { new RedisStorageException("state is damaged"), null },
        { new InvalidOperationException("bug"), null },
        { new EventsNotAppliedException(["a"], ["b"], new ArgumentException("bad")), null },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Outages_are_found_inside_the_wrappers(Exception failure, OutageKind? expected)
    {
        Assert.Equal(expected, Outages.Classify(failure));
    }

    [Fact]
    public void Failures_of_one_kind_are_logged_once_per_window_and_the_next_line_counts_those_left_out()
    {
        var time = new ManualTime();
        var throttle = new FailureLogThrottle(TimeSpan.FromSeconds(10), time);

        Assert.True(throttle.ShouldLog("POST /v1/events Storage", out var leftOut));
        Assert.Equal(0, leftOut);
        Assert.False(throttle.ShouldLog("POST /v1/events Storage", out _));
        Assert.False(throttle.ShouldLog("POST /v1/events Storage", out _));
        // Another kind has its own window.
        Assert.True(throttle.ShouldLog("GET /v1/users/{userId}/feed Timeout", out _));

        time.Advance(TimeSpan.FromSeconds(11));
        Assert.True(throttle.ShouldLog("POST /v1/events Storage", out leftOut));
        Assert.Equal(2, leftOut);
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
