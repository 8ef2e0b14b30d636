using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Clustering.Redis;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Silo.Configuration;
using Orleans.LlmRec.Silo.Ingestion;
using Orleans.LlmRec.Silo.Redis;
using Orleans.Persistence;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>Which Redis the host's one connection goes to (no Redis needed).</summary>
public class RedisConnectionStringTests
{
    private static string For(string? silo, string? stream) => RedisConnection.ConnectionString(
        new OrleansHostOptions { RedisConnectionString = silo }, new EventStreamOptions { RedisConnectionString = stream });

    [Fact]
    public void The_silos_redis_serves_the_stream_too_and_the_streams_own_setting_serves_when_only_the_stream_uses_redis()
    {
        Assert.Equal("redis:6379", For("redis:6379", null));
        Assert.Equal("redis:6379", For("redis:6379", "redis:6379"));
        Assert.Equal("events:6379", For(null, "events:6379"));
    }

    [Fact]
    public void Two_different_servers_or_none_are_refused_by_name()
    {
        static OptionsValidationException Refusal(params (string Key, string Value)[] settings) =>
            Assert.Throws<OptionsValidationException>(() => ServiceSettings.Bind(new ConfigurationBuilder()
                .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build()));
        var two = Refusal(("Silo:RedisConnectionString", "redis:6379"), ("EventStream:RedisConnectionString", "events:6379"));
        Assert.Contains("EventStream:RedisConnectionString ('events:6379') differs from Silo:RedisConnectionString", two.Message, StringComparison.Ordinal);
        var none = Refusal(("EventStream:Enabled", "true"), ("EventStream:RedisConnectionString", " "));
        Assert.Contains("EventStream:RedisConnectionString (or Silo:RedisConnectionString) is required", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silo_whose_stream_names_another_redis_than_the_silo_does_not_start()
    {
        var ports = FreePorts.Take(3);
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SiloServer.StartAsync(ports[0], new Dictionary<string, string>
        {
            ["EventStream:Enabled"] = "true",
            ["EventStream:RedisConnectionString"] = "127.0.0.1:1",
            ["Silo:RedisConnectionString"] = "127.0.0.1:2",
            ["Silo:SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "None",
        }));
        Assert.Contains("differs from Silo:RedisConnectionString", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>A silo with Redis membership, Redis grain storage and the stream consumer keeps one Redis connection.</summary>
[Collection(ServiceOverRedis.Name)]
public class SharedRedisConnectionTests(ServiceFixture service)
{
    [Fact]
    public async Task Membership_and_grain_storage_are_handed_the_hosts_one_multiplexer_and_leave_it_open()
    {
        var services = service.Silo.Services;
        var shared = services.GetRequiredService<IConnectionMultiplexer>();

        var storage = services.GetRequiredService<IOptionsMonitor<RedisStorageOptions>>().Get(UserGrain.StorageName);
        var (storageMultiplexer, storageShared) = await storage.CreateMultiplexer(storage);
        var membership = services.GetRequiredService<IOptions<RedisClusteringOptions>>().Value;
        var (membershipMultiplexer, membershipShared) = await membership.CreateMultiplexer(membership);

        Assert.Same(shared, storageMultiplexer);
        Assert.Same(shared, membershipMultiplexer);
        Assert.True(storageShared && membershipShared);
        Assert.True(shared.IsConnected);
    }
}
