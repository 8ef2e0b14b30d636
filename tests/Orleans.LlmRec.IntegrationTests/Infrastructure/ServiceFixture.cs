using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.IntegrationTests.Infrastructure;

/// <summary>
/// The production topology on one machine: a redis-server for membership and grain state, and the silo host
/// (Redis clustering, Redis storage) over the <see cref="GenreWorld"/> data set and model. Shared by the tests of
/// <see cref="ServiceOverRedis"/>; each test uses its own user ids.
/// </summary>
public sealed class ServiceFixture : IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Small limits, so the oversize cases are cheap to send.</summary>
    public const int MaxBatchSize = 500;
    public const int MaxBodyBytes = 256 * 1024;

    public const string StreamKey = "llmrec:events";

    private int[] _ports = [];
    private Dictionary<string, string> _settings = [];

    public GenreWorld World { get; private set; } = null!;
    public RedisServer Redis { get; private set; } = null!;
    public SiloServer Silo { get; private set; } = null!;
    public HttpClient Client => Silo.Client;

    public async Task InitializeAsync()
    {
        World = GenreWorld.Create();
        Redis = await RedisServer.StartAsync();
        _ports = FreePorts.Take(3);
        var cluster = $"it-{Guid.NewGuid():N}";
        _settings = new Dictionary<string, string>
        {
            ["Silo:Clustering"] = "Redis",
            ["Silo:Storage"] = "Redis",
            ["Silo:RedisConnectionString"] = Redis.ConnectionString,
            ["Silo:AdvertisedAddress"] = "127.0.0.1",
            ["Silo:SiloPort"] = _ports[1].ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = _ports[2].ToString(CultureInfo.InvariantCulture),
            ["Silo:ClusterId"] = cluster,
            ["Silo:ServiceId"] = cluster,
            ["Catalogue:DatasetPath"] = World.DatasetPath,
            ["Catalogue:Format"] = "ml-latest-small",
            ["Model:Directory"] = World.ModelPath,
            ["Model:OnnxFolder"] = World.OnnxFolder,
            // Behaviour, not latency, is under test here: a generous budget keeps a busy CI machine from turning a
            // personalised feed into a fallback (the budget itself is covered by the unit tests).
            ["Feed:ScoringBudget"] = "00:00:05",
            // Behaviour, not latency: a cold user on a busy CI machine may take longer than the 2 s default.
            ["Availability:RequestBudget"] = "00:00:10",
            ["Ingestion:MaxBatchSize"] = MaxBatchSize.ToString(CultureInfo.InvariantCulture),
            ["Ingestion:MaxBodyBytes"] = MaxBodyBytes.ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
            // The Redis Streams consumer with small batches, several in flight (EventStreamOrderTests).
            ["EventStream:Enabled"] = "true",
            ["EventStream:Key"] = StreamKey,
            ["EventStream:ReadCount"] = "10",
            ["EventStream:MaxBatchesInFlight"] = "4",
            // Trimmed often, so EventStreamTrimTests sees acknowledged entries go within its patience.
            ["EventStream:TrimInterval"] = "00:00:00.200",
        };
        Silo = await SiloServer.StartAsync(_ports[0], _settings);
    }

    /// <summary>Stops the silo (graceful shutdown) and starts a fresh one against the same Redis.</summary>
    public async Task RestartSiloAsync()
    {
        await Silo.DisposeAsync();
        Silo = await SiloServer.StartAsync(_ports[0], _settings);
    }

    public async Task DisposeAsync()
    {
        if (Silo is not null) await Silo.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
        World?.Dispose();
    }

    public static object Event(string eventId, string userId, string itemId, string type = "click", float? value = null, DateTimeOffset? timestamp = null) => new
    {
        eventId,
        userId,
        itemId,
        type,
        value,
        timestamp = timestamp ?? DateTimeOffset.UtcNow.AddMinutes(-1),
    };

    public Task<IngestResponse> PostEventsAsync(params object[] events) => new ServiceClient(Client).PostEventsAsync(events);

    public Task<Feed> GetFeedAsync(string userId, string query = "k=20") => new ServiceClient(Client).GetFeedAsync(userId, query);

    public Task<UserView> GetUserAsync(string userId) => new ServiceClient(Client).GetUserAsync(userId);

    public Task<SimilarItemsResponse> GetSimilarAsync(string itemId, int k) => new ServiceClient(Client).GetSimilarAsync(itemId, k);
}

[CollectionDefinition(Name)]
public sealed class ServiceOverRedis : ICollectionFixture<ServiceFixture>
{
    public const string Name = "service over Redis";
}
