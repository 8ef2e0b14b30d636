using OpenTelemetry.Trace;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Silo.Metrics;

namespace Orleans.LlmRec.Silo.Hosting;

/// <summary>
/// OpenTelemetry traces across HTTP → grain → scorer → LLM, exported over OTLP, only when an endpoint is configured
/// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, e.g. <c>http://collector:4317</c>; the exporter reads its other standard
/// <c>OTEL_*</c> variables itself). Off by default: with no listener no span is created, so the feed path pays nothing.
/// </summary>
public static class TracingRegistration
{
    public const string EndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>ASP.NET Core's request spans, Orleans' grain call spans, the feed pipeline's stages, the chat client's calls.</summary>
    public static IReadOnlyList<string> Sources { get; } =
        ["Microsoft.AspNetCore", "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", FeedTracing.SourceName, LlmRecMeters.ChatClient];

    public static bool IsEnabled(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration[EndpointKey]);

    public static IHostApplicationBuilder AddLlmRecTracing(this IHostApplicationBuilder builder)
    {
        if (!IsEnabled(builder.Configuration)) return builder;
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource([.. Sources]).AddOtlpExporter());
        return builder;
    }
}
