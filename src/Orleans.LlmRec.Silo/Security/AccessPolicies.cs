using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;

namespace Orleans.LlmRec.Silo.Security;

/// <summary>A credential must hold this scope (or <paramref name="OrScope"/>, when given).</summary>
public sealed record ScopeRequirement(string Scope, string? OrScope = null) : IAuthorizationRequirement;

/// <summary>
/// A credential bound to a user acts only for that user: on a route with <c>{userId}</c>, the two must be the same
/// (ordinal). An unbound credential passes; so does a route without a user.
/// </summary>
public sealed class BoundUserRequirement : IAuthorizationRequirement
{
    public const string RouteValue = "userId";
}

public sealed class ScopeHandler : AuthorizationHandler<ScopeRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (context.User.HasClaim(LlmRecClaims.Scope, requirement.Scope)
            || (requirement.OrScope is { } other && context.User.HasClaim(LlmRecClaims.Scope, other)))
        {
            context.Succeed(requirement);
        }
        else
        {
            var wanted = requirement.OrScope is { } or ? $"'{requirement.Scope}' or '{or}'" : $"'{requirement.Scope}'";
            context.Fail(new AuthorizationFailureReason(this, $"This credential lacks the scope {wanted}."));
        }
        return Task.CompletedTask;
    }
}

public sealed class BoundUserHandler : AuthorizationHandler<BoundUserRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, BoundUserRequirement requirement)
    {
        var routeUser = (context.Resource as HttpContext)?.GetRouteValue(BoundUserRequirement.RouteValue) as string;
        if (routeUser is null || AccessPolicies.MayActFor(context.User, routeUser)) context.Succeed(requirement);
        else context.Fail(new AuthorizationFailureReason(this, "This credential is bound to another user; it may act only for that user."));
        return Task.CompletedTask;
    }
}

public static class AccessPolicies
{
    /// <summary>The user a credential is bound to, or null (unbound, or access control off).</summary>
    public static string? BoundUser(ClaimsPrincipal user) => user.FindFirst(LlmRecClaims.User)?.Value;

    public static bool MayActFor(ClaimsPrincipal user, string userId) =>
        BoundUser(user) is not { } bound || string.Equals(bound, userId, StringComparison.Ordinal);

    /// <summary>
    /// One policy per scope, named by the scope, plus <see cref="ApiScopes.MetricsPolicy"/>. With access control off,
    /// every policy passes (the host then listens on loopback only, or was told <c>Security:AllowAnonymous</c>).
    /// </summary>
    public static void Add(AuthorizationOptions options, SecurityOptions security)
    {
        foreach (var scope in ApiScopes.All)
        {
            options.AddPolicy(scope, policy =>
            {
                if (!security.IsConfigured)
                {
                    policy.RequireAssertion(_ => true);
                    return;
                }
                policy.RequireAuthenticatedUser();
                policy.AddRequirements(new ScopeRequirement(scope), new BoundUserRequirement());
            });
        }
        options.AddPolicy(ApiScopes.MetricsPolicy, policy =>
        {
            if (!security.IsConfigured || security.AnonymousMetrics) policy.RequireAssertion(_ => true);
            else policy.RequireAuthenticatedUser().AddRequirements(new ScopeRequirement(ApiScopes.Admin, ApiScopes.MetricsRead));
        });
    }
}
