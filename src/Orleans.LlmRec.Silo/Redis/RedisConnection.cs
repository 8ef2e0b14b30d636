using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Clustering.Redis;
using Orleans.LlmRec.Silo.Configuration;
using Orleans.LlmRec.Silo.Ingestion;
using Orleans.Persistence;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Redis;

/// <summary>
/// The host's one connection to Redis (<see cref="IConnectionMultiplexer"/>, a singleton from DI), shared by
/// everything that talks to it: Orleans' Redis membership (silos and API tier), Redis grain storage, and the Redis
/// Streams consumer. A multiplexer is built to be shared; one per component only multiplied sockets and reconnect
/// loops. The Orleans providers take it through their <c>CreateMultiplexer</c> hook, marked shared, so they never
/// dispose it; the container does, after the silo has stopped. It connects on first use, and with
/// <c>AbortOnConnectFail</c> off it keeps retrying while Redis restarts instead of failing the host.
/// </summary>
public static class RedisConnection
{
    /// <summary>Registers the connection; nothing connects unless something that needs Redis asks for it.</summary>
    public static IServiceCollection AddLlmRecRedisConnection(this IServiceCollection services)
    {
        services.TryAddSingleton<IConnectionMultiplexer>(sp => Connect(ConnectionString(
            sp.GetRequiredService<IOptions<OrleansHostOptions>>().Value,
            sp.GetRequiredService<IOptions<EventStreamOptions>>().Value),
            sp.GetService<IOptions<RedisOptions>>()?.Value));
        services.AddSingleton<IPostConfigureOptions<RedisClusteringOptions>, SharedMultiplexer>();
        services.AddSingleton<IPostConfigureOptions<RedisStorageOptions>, SharedMultiplexer>();
        return services;
    }

    /// <summary>
    /// <c>Silo:RedisConnectionString</c>, or <c>EventStream:RedisConnectionString</c> when only the stream uses Redis
    /// (<see cref="ServiceSettings"/> refuses two different ones, and an enabled stream without either).
    /// </summary>
    public static string ConnectionString(OrleansHostOptions silo, EventStreamOptions stream) =>
        (string.IsNullOrWhiteSpace(silo.RedisConnectionString) ? stream.RedisConnectionString : silo.RedisConnectionString)
        ?? throw new InvalidOperationException("No Redis connection string is configured (Silo:RedisConnectionString).");

    /// <summary>The settings the connection is made with; Orleans' providers validate theirs against the same.</summary>
    public static ConfigurationOptions Configuration(string connectionString, RedisOptions? security = null)
    {
        var configuration = ConfigurationOptions.Parse(connectionString);
        // Keep retrying while Redis restarts instead of failing the host at start.
        configuration.AbortOnConnectFail = false;
        if (security is not null) ApplySecurity(configuration, security);
        return configuration;
    }

    /// <summary>The <c>Redis</c> section's credentials and TLS over whatever the connection string said.</summary>
    internal static void ApplySecurity(ConfigurationOptions configuration, RedisOptions security)
    {
        if (!string.IsNullOrEmpty(security.User)) configuration.User = security.User;
        if (!string.IsNullOrEmpty(security.Password)) configuration.Password = security.Password;
        if (!security.Tls) return;
        configuration.Ssl = true;
        configuration.SslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
        if (!string.IsNullOrEmpty(security.TlsHost)) configuration.SslHost = security.TlsHost;
        if (security.TlsCaFile is { } ca) configuration.TrustIssuer(ca);
    }

    private static ConnectionMultiplexer Connect(string connectionString, RedisOptions? security) =>
        ConnectionMultiplexer.Connect(Configuration(connectionString, security));

    /// <summary>Hands the Orleans Redis providers the shared connection, marked shared so they leave it open when they stop.</summary>
    private sealed class SharedMultiplexer(IServiceProvider services) : IPostConfigureOptions<RedisClusteringOptions>, IPostConfigureOptions<RedisStorageOptions>
    {
        public void PostConfigure(string? name, RedisClusteringOptions options) => options.CreateMultiplexer = _ => SharedAsync();

        public void PostConfigure(string? name, RedisStorageOptions options) => options.CreateMultiplexer = _ => SharedAsync();

        // Off the caller's thread: the first resolution connects, which may wait out a connect timeout.
        private Task<(IConnectionMultiplexer, bool)> SharedAsync() =>
            Task.Run(() => (services.GetRequiredService<IConnectionMultiplexer>(), true));
    }
}
