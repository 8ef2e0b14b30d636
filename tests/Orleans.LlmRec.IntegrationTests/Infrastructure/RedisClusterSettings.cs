using System.Globalization;

namespace Orleans.LlmRec.IntegrationTests.Infrastructure;

/// <summary>Settings of in-process hosts (<see cref="SiloServer"/>) that form one cluster over a test Redis.</summary>
internal static class RedisClusterSettings
{
    /// <summary>What every host of the cluster shares, silos and API tiers alike: Redis membership, one cluster name.</summary>
    public static Dictionary<string, string> Shared(RedisServer redis, string cluster) => new()
    {
        ["Silo:Clustering"] = "Redis",
        ["Silo:RedisConnectionString"] = redis.ConnectionString,
        ["Silo:ClusterId"] = cluster,
        ["Silo:ServiceId"] = cluster,
        ["Logging:LogLevel:Default"] = "Warning",
    };

    /// <summary>A silo of that cluster with Redis storage, serving <paramref name="world"/>; ports are silo and gateway.</summary>
    public static Dictionary<string, string> Silo(IReadOnlyDictionary<string, string> shared, GenreWorld world, int siloPort, int gatewayPort) =>
        new(shared)
        {
            ["Silo:Storage"] = "Redis",
            ["Silo:AdvertisedAddress"] = "127.0.0.1",
            ["Silo:SiloPort"] = siloPort.ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Catalogue:DatasetPath"] = world.DatasetPath,
            ["Catalogue:Format"] = "ml-latest-small",
            ["Model:Directory"] = world.ModelPath,
        };
}
