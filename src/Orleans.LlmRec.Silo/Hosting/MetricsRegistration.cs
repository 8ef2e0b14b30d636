using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using Orleans.LlmRec.Silo.Metrics;

namespace Orleans.LlmRec.Silo.Hosting;

/// <summary>Metrics for Prometheus: every meter of <see cref="LlmRecMeters.All"/>, scraped at <c>GET /metrics</c>.</summary>
public static class MetricsRegistration
{
    public const string ScrapePath = "/metrics";

    public static IHostApplicationBuilder AddLlmRecMetrics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ServiceMetrics>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter([.. LlmRecMeters.All])
            // No scrape cache (the exporter's default keeps an answer 300 ms): one Prometheus scrapes every few
            // seconds, and a cached answer would hide what just happened from an operator's curl.
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        builder.Services.ConfigureOpenTelemetryMeterProvider((services, metrics) =>
            metrics.AddView(ThisHostsInstrumentsOnly(services.GetRequiredService<IMeterFactory>())));
        return builder;
    }

    /// <summary>
    /// A view that drops the instruments of another host's <see cref="IMeterFactory"/> (meters without a factory, like
    /// Orleans' and the scorer's, are one per process and stay). OpenTelemetry listens by meter name across the process
    /// and merges same-named instruments of two hosts into one stream, which it retires when either host's meter is
    /// disposed: with two hosts in one process (the integration tests, a test server beside the real one), stopping
    /// one would silently freeze the other's counters at <c>/metrics</c>.
    /// </summary>
    private static Func<Instrument, MetricStreamConfiguration?> ThisHostsInstrumentsOnly(IMeterFactory thisHost) =>
        instrument => instrument.Meter.Scope is IMeterFactory owner && !ReferenceEquals(owner, thisHost) ? MetricStreamConfiguration.Drop : null;

    public static WebApplication MapLlmRecMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint(ScrapePath).RequireAuthorization(Security.ApiScopes.MetricsPolicy);
        return app;
    }
}
