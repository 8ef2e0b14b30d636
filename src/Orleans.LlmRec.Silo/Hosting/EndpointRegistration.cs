using Orleans.LlmRec.Silo.Apis;
using Orleans.LlmRec.Silo.Dashboard;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.Silo.Hosting;

public static class EndpointRegistration
{
    /// <summary>Middleware and every endpoint: the v1 API, /health (live, ready), /metrics and the OpenAPI document at /openapi/v1.json.</summary>
    public static WebApplication MapLlmRecApis(this WebApplication app)
    {
        // First: request lines and headers over the service's limits get a problem+json, not Kestrel's empty answer.
        app.UseRequestLimits();
        // Plain reads of feeds this silo keeps are answered here (CachedFeedReads); with access control or rate limits
        // on, only after those have passed the request.
        var guarded = app.GuardsRequests();
        if (!guarded) app.UseCachedFeedReads();
        // Plain query strings (?k=20) are read in place instead of parsed into a dictionary per request.
        app.UseSimpleQueries();
        app.UseExceptionHandler();
        // Bodiless 4xx/5xx get a ProblemDetails body (the status pages, without their cost per request).
        app.UseEmptyErrorProblems();
        // Authentication, scope policies and rate limits (SecurityRegistration); /health and /openapi stay anonymous.
        app.UseLlmRecAccessControl();
        if (guarded) app.UseCachedFeedReads();
        app.UseLlmRecRequestBudget();
        app.MapOpenApi();
        app.MapLlmRecHealth();
        app.MapLlmRecMetrics();
        app.MapFeedApi();
        app.MapEventsApi();
        app.MapUsersApi();
        app.MapItemsApi();
        app.MapClusterApi();
        app.MapModelApi();
        // The operators' dashboard, one route group: the admin scope covers the page, its stream, the inspector and
        // /dashboard/orleans at once.
        app.MapOpsDashboard().RequireAuthorization(ApiScopes.Admin);
        return app;
    }
}
