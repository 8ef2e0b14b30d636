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
        { new RedisStorageException("Failed to read grain state for user with ID u1 and storage key k. SerializerException: bad bytes"), null },
        // Orleans' Redis provider: the cause named in the message only.
        { new RedisStorageException("Failed to write grain state for user grain with ID u1 and storage key k. RedisConnectionException: No connection"), OutageKind.Storage },
        // Orleans' grain directory while a membership change is taken in (bare OrleansExceptions; texts as Orleans 10 words them).
        { new OrleansException("Current directory at S127.0.0.1:11111:1 is not stable to perform the lookup for grainId user/u1 (it maps to S127.0.0.1:11112:2, which is not a valid silo). Retry later."), OutageKind.Cluster },
        { new OrleansException("Silo S127.0.0.1:11111:1 is not owner of user/u1, cannot forward LookUpAsync to owner S127.0.0.1:11112:2 because hop limit is reached"), OutageKind.Cluster },
        { new OrleansException("Trying to register user/u1 on invalid silo: S127.0.0.1:11112:2. Known status: Dead"), OutageKind.Cluster },
        { new OrleansException("grain call failed", new OrleansException("Trying to register user/u1 on invalid silo: S127.0.0.1:11112:2. Known status: Joining")), OutageKind.Cluster },
        // Any other OrleansException is not an outage: retrying cannot help.
        { new OrleansException("Grain extension not installed on target grain."), null },
        { new InvalidOperationException("bug"), null },
        { new EventsNotAppliedException(["a"], ["b"], new ArgumentException("bad")), null },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Outages_are_found_inside_the_wrappers(Exception failure, OutageKind? expected)
    {
        Assert.Equal(expected, Outages.Classify(failure));
    }

    /// <summary>
    /// Orleans gives a directory in flux no exception type, so <see cref="Outages"/> matches its wording: each phrase must
    /// still be (part of) a string literal of the Orleans.Runtime this build ships, or an Orleans upgrade that reworded it
    /// would silently turn those 503s back into 500s.
    /// </summary>
    [Fact]
    public void The_directory_in_flux_phrases_are_still_Orleans_own_wording()
    {
        var runtime = Path.Combine(AppContext.BaseDirectory, "Orleans.Runtime.dll");
        Assert.True(File.Exists(runtime), runtime);
        using var file = File.OpenRead(runtime);
        using var pe = new System.Reflection.PortableExecutable.PEReader(file);
        var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        var literals = new List<string>();
        for (var handle = System.Reflection.Metadata.Ecma335.MetadataTokens.UserStringHandle(1); !handle.IsNil; handle = System.Reflection.Metadata.Ecma335.MetadataReaderExtensions.GetNextHandle(metadata, handle))
        {
            literals.Add(metadata.GetUserString(handle));
        }
        Assert.NotEmpty(literals);
        Assert.All(Outages.DirectoryInFluxPhrases, phrase =>
            Assert.True(literals.Any(l => l.Contains(phrase, StringComparison.Ordinal)), $"'{phrase}' is no longer a literal of {runtime}"));
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
