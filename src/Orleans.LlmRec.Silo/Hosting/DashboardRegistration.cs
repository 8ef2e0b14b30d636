using Orleans.Dashboard;
using Orleans.LlmRec.Silo.Dashboard;

namespace Orleans.LlmRec.Silo.Hosting;

/// <summary>
/// The operators' dashboard (<see cref="DashboardEndpoints.MapOpsDashboard"/>): a per-host sampler over the service's
/// own meters on every host, and on silos the grain service that hands a silo's samples to whoever gathers the cluster
/// view, the one incoming call filter both dashboards need (<see cref="DashboardCallFilter"/>), and Orleans' own
/// dashboard (grain method profiling, /dashboard/orleans).
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
        silo.AddDashboard();
        // Orleans' profiler filter is no longer a filter of its own: ours asks it only while its profiler is on.
        var orleansFilter = silo.Services.FirstOrDefault(d =>
            d.ServiceType == typeof(IIncomingGrainCallFilter) && d.ImplementationType?.FullName == OrleansProfiling.FilterTypeName);
        if (orleansFilter?.ImplementationType is { } filterType)
        {
            silo.Services.Remove(orleansFilter);
            silo.Services.AddSingleton(filterType);
            silo.Services.AddSingleton(sp => OrleansProfiling.From(sp, filterType));
        }
        else
        {
            // Not this package version's registration: leave Orleans' filter alone, and count users without it.
            silo.Services.AddSingleton(new OrleansProfiling(new PassThroughFilter(), static () => false));
        }
        silo.Services.AddSingleton<IIncomingGrainCallFilter, DashboardCallFilter>();
        return silo;
    }

    private sealed class PassThroughFilter : IIncomingGrainCallFilter
    {
        public Task Invoke(IIncomingGrainCallContext context) => context.Invoke();
    }

    public static IClientBuilder AddOpsDashboard(this IClientBuilder client)
    {
        client.AddDashboard();
        return client;
    }
}
