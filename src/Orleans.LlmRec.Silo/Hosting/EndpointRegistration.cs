using Orleans.LlmRec.Silo.Apis;
using Orleans.LlmRec.Silo.Dashboard;

namespace Orleans.LlmRec.Silo.Hosting;

public static class EndpointRegistration
{
    /// <summary>Middleware and every endpoint: the v1 API, /health, /metrics and the OpenAPI document at /openapi/v1.json.</summary>
    public static WebApplication MapLlmRecApis(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapHealthChecks("/health");
        app.MapLlmRecMetrics();
        app.MapFeedApi();
        app.MapEventsApi();
        app.MapUsersApi();
        app.MapItemsApi();
        app.MapClusterApi();
        app.MapModelApi();
        // The operators' dashboard, one route group. Access control seam: the group is where the admin policy goes,
        // `app.MapOpsDashboard().RequireAuthorization(<admin policy>)`, covering the page, its stream, the inspector
        // and /dashboard/orleans at once.
        app.MapOpsDashboard();
        return app;
    }
}
