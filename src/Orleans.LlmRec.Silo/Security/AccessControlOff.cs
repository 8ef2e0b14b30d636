namespace Orleans.LlmRec.Silo.Security;

/// <summary>
/// The pipeline with access control off (no API keys, key file or JWT): every policy passes and no credential can be
/// recognised, so authentication and authorization are left out instead of run for nothing. They cost more than half of
/// a cached feed's allocations (~3.5 KB: a DI scope, handler instances, tasks, a principal, the policy evaluation).
/// A request sees what it saw before: an anonymous user and no refusals.
/// </summary>
public static class AccessControlOff
{
    // The properties UseAuthentication and UseAuthorization set: WebApplication adds both middlewares by itself, first in
    // the pipeline, whenever their services are registered (they are: the policies, the dashboard's login and the
    // result handler need them) and these properties are missing.
    internal const string AuthenticationSetKey = "__AuthenticationMiddlewareSet";
    internal const string AuthorizationSetKey = "__AuthorizationMiddlewareSet";

    /// <summary>Keeps authentication and authorization out of <paramref name="app"/>'s pipeline.</summary>
    public static void KeepMiddlewaresOut(IApplicationBuilder app)
    {
        app.Properties[AuthenticationSetKey] = true;
        app.Properties[AuthorizationSetKey] = true;
    }

    /// <summary>
    /// Endpoints keep their <c>RequireAuthorization</c> metadata (policies are chosen at mapping, before the settings are
    /// known to each API); routing refuses to run such an endpoint without the authorization middleware unless told not to.
    /// </summary>
    public static void AllowEndpointsWithoutMiddlewares(RouteOptions routing) => routing.SuppressCheckForUnhandledSecurityMetadata = true;
}
