using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Silo.Cluster;
using Orleans.LlmRec.Silo.Configuration;
using Orleans.LlmRec.Silo.Redis;

namespace Orleans.LlmRec.Silo.Hosting;

/// <summary>
/// The error contract under outages (section <c>Availability</c>): the request budget, the 503 log throttle, and the
/// health endpoints: <c>/health/live</c> (the process answers: no checks), <c>/health/ready</c> (every check: model
/// loaded, Redis answering when used, a gateway on an API tier) and <c>/health</c>, an alias of ready.
/// </summary>
public static class AvailabilityRegistration
{
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    public const string HealthPath = "/health";

    public static IHostApplicationBuilder AddLlmRecAvailability(this IHostApplicationBuilder builder, ServiceSettings settings)
    {
        var services = builder.Services;
        services.AddSingleton(Options.Create(settings.Availability));
        services.AddSingleton(sp => new FailureLogThrottle(settings.Availability.FailureLogWindow, sp.GetRequiredService<TimeProvider>()));
        if (UsesRedis(settings)) services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis");
        return builder;
    }

    public static WebApplication MapLlmRecHealth(this WebApplication app)
    {
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks(ReadyPath);
        app.MapHealthChecks(HealthPath);
        return app;
    }

    /// <summary>Everything this host keeps in Redis: membership, grain state, the event stream (silos only).</summary>
    private static bool UsesRedis(ServiceSettings settings) =>
        settings.Silo.Clustering == ClusteringMode.Redis
        || (settings.Silo.Role == HostRole.Silo && (settings.Silo.Storage == GrainStorageMode.Redis || settings.EventStream.Enabled));
}
