using System.Globalization;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Silo.Redis;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests.Security;

/// <summary>The host's Redis connection with the <c>Redis</c> section's credentials and TLS settings.</summary>
public sealed class RedisPasswordTests
{
    [Fact]
    public async Task A_silo_uses_a_password_protected_redis_for_membership_storage_and_the_stream()
    {
        const string password = "test-redis-password";
        await using var redis = await RedisServer.StartAsync(password: password);
        await using (var anonymous = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString + ",abortConnect=false,connectTimeout=2000"))
        {
            await Assert.ThrowsAnyAsync<RedisException>(() => anonymous.GetDatabase().PingAsync());
        }

        var ports = FreePorts.Take(3);
        var cluster = $"pw-{Guid.NewGuid():N}";
        await using var silo = await SiloServer.StartAsync(ports[0], new Dictionary<string, string>
        {
            ["Silo:Clustering"] = "Redis",
            ["Silo:Storage"] = "Redis",
            ["Silo:RedisConnectionString"] = redis.ConnectionString,
            ["Redis:Password"] = password,
            ["Silo:AdvertisedAddress"] = "127.0.0.1",
            ["Silo:SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
            ["Silo:ClusterId"] = cluster,
            ["Silo:ServiceId"] = cluster,
            ["EventStream:Enabled"] = "true",
            ["Catalogue:SyntheticUsers"] = "100",
            ["Catalogue:SyntheticItems"] = "200",
            ["Model:Epochs"] = "2",
            ["Feed:ScoringBudget"] = "00:00:05",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        var client = new ServiceClient(silo.Client);
        var item = (await client.GetFeedAsync("pw-user", "k=1")).Items[0].ItemId;
        Assert.Equal(1, (await client.PostEventsAsync(ServiceFixture.Event("pw-1", "pw-user", item))).Accepted);

        // The user's state went to that Redis, through the password.
        await using var authed = await ConnectionMultiplexer.ConnectAsync($"{redis.ConnectionString},password={password}");
        var keys = authed.GetServer(redis.ConnectionString).Keys(pattern: "*").Select(k => k.ToString()).ToList();
        Assert.Contains(keys, k => k.Contains("pw-user", StringComparison.Ordinal));
    }

    [Fact]
    public void The_redis_section_overrides_the_connection_strings_credentials_and_turns_tls_on()
    {
        var configuration = RedisConnection.Configuration("redis:6379,password=old", new RedisOptions { User = "llmrec", Password = "new", Tls = true, TlsHost = "redis.internal" });
        Assert.Equal(("llmrec", "new", true, "redis.internal"), (configuration.User, configuration.Password, configuration.Ssl, configuration.SslHost));
        Assert.False(configuration.AbortOnConnectFail);

        var plain = RedisConnection.Configuration("redis:6379,password=kept", new RedisOptions());
        Assert.Equal(("kept", false), (plain.Password, plain.Ssl));
    }
}
