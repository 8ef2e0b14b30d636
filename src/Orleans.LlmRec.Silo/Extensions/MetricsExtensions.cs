using OpenTelemetry.Metrics;

namespace Orleans.LlmRec.Silo.Extensions;

/// <summary>Metrics for Prometheus: every meter of <see cref="LlmRecMeters.All"/>, scraped at <c>GET /metrics</c>.</summary>
public static class MetricsExtensions
{
    public const string ScrapePath = "/metrics";

    public static IHostApplicationBuilder AddLlmRecMetrics(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ServiceMetrics>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter([.. LlmRecMeters.All])
            .AddPrometheusExporter());
        return builder;
    }

    public static WebApplication MapLlmRecMetrics(this WebApplication app)
    {
        app.MapPrometheusScrapingEndpoint(ScrapePath);
        return app;
    }
}
