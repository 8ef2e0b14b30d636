using System.Globalization;
using System.Net.Http.Json;
using Orleans.LlmRec.Silo.Apis;

namespace Orleans.LlmRec.IntegrationTests.Infrastructure;

/// <summary>
/// The production topology on one machine: one redis-server (membership, grain state, the event stream) and several
/// silo processes, each with its own HTTP, silo and gateway ports, over the same <see cref="GenreWorld"/>.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    public const string StreamKey = "llmrec:events";
    public const string DeadLetterKey = "llmrec:events:dead";
    public const string StreamGroup = "llmrec";

    /// <summary>Pending entries idle this long are claimed by another consumer (short, so the tests stay short).</summary>
    public static readonly TimeSpan ClaimMinIdle = TimeSpan.FromSeconds(1);

    private readonly bool _ownsWorld;
    private readonly string _clusterId = $"cl-{Guid.NewGuid():N}";
    private TimeSpan _requestBudget;

    private LocalCluster(GenreWorld world, bool ownsWorld, RedisServer redis, bool eventStream)
    {
        World = world;
        _ownsWorld = ownsWorld;
        Redis = redis;
        EventStream = eventStream;
    }

    public GenreWorld World { get; }
    public RedisServer Redis { get; }
    public bool EventStream { get; }

    /// <summary>The consumers' <c>EventStream:IdlePollAfter</c> and <c>IdlePollDelay</c>.</summary>
    public static readonly TimeSpan IdlePollAfter = TimeSpan.FromMilliseconds(300);
    public static readonly TimeSpan IdlePollDelay = TimeSpan.FromMilliseconds(400);
    public List<SiloProcess> Silos { get; } = [];

    /// <param name="requestBudget">
    /// Availability:RequestBudget; unset = 10 s: behaviour, not latency, is under test, and a cold user's first call on
    /// a busy CI machine can take longer than the 2 s default (the fault tests set the default).
    /// </param>
    public static async Task<LocalCluster> StartAsync(int silos, bool eventStream, GenreWorld? world = null, bool persistentRedis = false, TimeSpan? requestBudget = null)
    {
        var redis = await RedisServer.StartAsync(persistentRedis);
        var cluster = new LocalCluster(world ?? GenreWorld.Create(), world is null, redis, eventStream)
        {
            _requestBudget = requestBudget ?? TimeSpan.FromSeconds(10),
        };
        var starting = Enumerable.Range(0, silos).Select(cluster.StartSiloAsync).ToList();
        try
        {
            await Task.WhenAll(starting);
            cluster.Silos.AddRange(starting.Select(t => t.Result));
            await cluster.WaitUntilActiveAsync(silos, TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            // Silos that did start while another failed are stopped too, not left running without an owner.
            foreach (var started in starting.Where(t => t.IsCompletedSuccessfully && !cluster.Silos.Contains(t.Result))) cluster.Silos.Add(started.Result);
            await cluster.DisposeAsync();
            throw;
        }
    }

    private async Task<SiloProcess> StartSiloAsync(int index)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartSiloOnFreePortsAsync(index);
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("already in use", StringComparison.OrdinalIgnoreCase))
            {
                // A port that was free when picked was taken before the silo bound it (test projects run side by
                // side): pick new ones. Any other start failure is reported at once.
            }
        }
    }

    private Task<SiloProcess> StartSiloOnFreePortsAsync(int index)
    {
        var ports = FreePorts.Take(3);
        var name = $"silo-{(char)('a' + index)}";
        var settings = new Dictionary<string, string>
        {
            ["Silo:Clustering"] = "Redis",
            ["Silo:Storage"] = "Redis",
            ["Silo:RedisConnectionString"] = Redis.ConnectionString,
            ["Silo:AdvertisedAddress"] = "127.0.0.1",
            ["Silo:SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
            ["Silo:ClusterId"] = _clusterId,
            ["Silo:ServiceId"] = _clusterId,
            // Failure detection: the service's own defaults (Cluster/FailoverDefaults), as in production.
            ["Catalogue:DatasetPath"] = World.DatasetPath,
            ["Catalogue:Format"] = "ml-latest-small",
            ["Model:Directory"] = World.ModelPath,
            // One ONNX folder per silo: each exports the model at start.
            ["Model:OnnxFolder"] = Path.Combine(World.Root, $"onnx-{name}-{_clusterId}"),
            ["Feed:ScoringBudget"] = "00:00:05",
            ["Availability:RequestBudget"] = _requestBudget.ToString("c", CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Orleans.LlmRec.Silo.Ingestion"] = "Information",
        };
        if (EventStream)
        {
            settings["EventStream:Enabled"] = "true";
            settings["EventStream:Key"] = StreamKey;
            settings["EventStream:Group"] = StreamGroup;
            settings["EventStream:DeadLetterKey"] = DeadLetterKey;
            settings["EventStream:ClaimMinIdle"] = ClaimMinIdle.ToString("c", CultureInfo.InvariantCulture);
            settings["EventStream:ClaimInterval"] = "00:00:00.500";
            // Idle after a short quiet spell, so the tests also cover reads that had backed off to the idle ceiling.
            settings["EventStream:IdlePollAfter"] = IdlePollAfter.ToString("c", CultureInfo.InvariantCulture);
            settings["EventStream:IdlePollDelay"] = IdlePollDelay.ToString("c", CultureInfo.InvariantCulture);
        }
        return SiloProcess.StartAsync(name, ports[0], settings, TimeSpan.FromSeconds(90));
    }

    /// <summary>Waits until every live silo sees <paramref name="count"/> active silos.</summary>
    public Task WaitUntilActiveAsync(int count, TimeSpan timeout) =>
        WaitUntilActiveAsync(Silos.Where(s => !s.HasExited).Select(s => s.Client).ToList(), count, timeout);

    /// <summary>Waits until every host answering on <paramref name="silos"/> sees <paramref name="count"/> active silos.</summary>
    public static async Task WaitUntilActiveAsync(IReadOnlyList<HttpClient> silos, int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var views = await Task.WhenAll(silos.Select(GetClusterAsync));
            if (views.All(v => v.Silos.Count(s => s.Status == "Active") == count)) return;
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The silos did not all see {count} active silos: " +
                    string.Join(" | ", views.Select(v => $"{v.Silo}: {string.Join(", ", v.Silos.Select(s => $"{s.Address} {s.Status}"))}")));
            }
            await Task.Delay(100);
        }
    }

    public static Task<ClusterView> GetClusterAsync(SiloProcess silo) => GetClusterAsync(silo.Client);

    internal static async Task<ClusterView> GetClusterAsync(HttpClient silo) =>
        (await silo.GetFromJsonAsync<ClusterView>("/v1/cluster", ServiceFixture.Json))!;

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Silos) await silo.DisposeAsync();
        await Redis.DisposeAsync();
        if (_ownsWorld) World.Dispose();
    }
}
