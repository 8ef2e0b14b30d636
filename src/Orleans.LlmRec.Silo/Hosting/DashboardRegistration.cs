using Orleans.Dashboard;
using Orleans.LlmRec.Silo.Dashboard;

namespace Orleans.LlmRec.Silo.Hosting;

/// <summary>
/// The operators' dashboard (<see cref="DashboardEndpoints.MapOpsDashboard"/>): a per-host sampler over the service's
/// own meters on every host, and on silos the grain service that hands a silo's samples to whoever gathers the cluster
/// view, the busiest-users call filter, and Orleans' own dashboard (grain method profiling, /dashboard/orleans).
/// </summary>
public static class DashboardRegistration
{
    public static IHostApplicationBuilder AddOpsDashboardSampling(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<DashboardMetrics>();
        services.AddSingleton<DashboardWatch>();
        services.AddSingleton<StreamLagProbe>();
        services.AddHostedService(sp => sp.GetRequiredService<StreamLagProbe>());
        services.AddSingleton<DashboardStream>();
        services.AddSingleton<HostSampler>();
        services.AddHostedService(sp => sp.GetRequiredService<HostSampler>());
        return builder;
    }

    public static ISiloBuilder AddOpsDashboard(this ISiloBuilder silo)
    {
        silo.AddGrainService<DashboardSiloService>();
        silo.Services.AddSingleton<IDashboardSiloServiceClient, DashboardSiloServiceClient>();
        silo.Services.AddSingleton<BusiestUsers>();
        silo.Services.AddSingleton<IIncomingGrainCallFilter>(sp => sp.GetRequiredService<BusiestUsers>());
        silo.AddDashboard();
        return silo;
    }

    public static IClientBuilder AddOpsDashboard(this IClientBuilder client)
    {
        client.AddDashboard();
        return client;
    }
}
