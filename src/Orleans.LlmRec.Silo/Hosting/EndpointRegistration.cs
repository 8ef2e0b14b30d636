using Orleans.LlmRec.Silo.Apis;

namespace Orleans.LlmRec.Silo.Hosting;

public static class EndpointRegistration
{
    /// <summary>Middleware and every endpoint: the v1 API, /health, /metrics and the OpenAPI document at /openapi/v1.json.</summary>
    public static WebApplication MapLlmRecApis(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Authentication, scope policies and rate limits (SecurityRegistration); /health and /openapi stay anonymous.
        app.UseLlmRecAccessControl();
        app.MapOpenApi();
        app.MapHealthChecks("/health");
        app.MapLlmRecMetrics();
        app.MapFeedApi();
        app.MapEventsApi();
        app.MapUsersApi();
        app.MapItemsApi();
        app.MapClusterApi();
        app.MapModelApi();
        return app;
    }
}
