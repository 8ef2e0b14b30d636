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
        return builder;
    }

    public static WebApplication MapLlmRecMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint(ScrapePath).RequireAuthorization(Security.ApiScopes.MetricsPolicy);
        return app;
    }
}
