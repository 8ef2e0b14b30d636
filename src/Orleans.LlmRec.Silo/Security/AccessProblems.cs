using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Orleans.LlmRec.Silo.Security;

/// <summary>
/// 401 and 403 as ProblemDetails that say what is missing (a credential, a scope, the right user) instead of the
/// framework's empty answers; 401 also names the schemes in <c>WWW-Authenticate</c>.
/// </summary>
public sealed class AccessProblems(IProblemDetailsService problems, IOptions<SecurityOptions> security) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged && DashboardLogin.ShouldRedirectToLogin(context.Request))
        {
            context.Response.Redirect(DashboardLogin.LoginPath);
            return;
        }
        if (authorizeResult.Challenged)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = security.Value.Jwt.IsEnabled
                ? new[] { $"{ApiKeyAuthenticationHandler.SchemeName} header=\"{ApiKeyAuthenticationHandler.HeaderName}\"", "Bearer" }
                : new[] { $"{ApiKeyAuthenticationHandler.SchemeName} header=\"{ApiKeyAuthenticationHandler.HeaderName}\"" };
            // The middleware keeps only successful results; a handler caches its result per request, so asking again is cheap.
            var failure = (await context.AuthenticateAsync()).Failure?.Message;
            await WriteAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", failure is null
                ? $"This endpoint needs a credential: an API key in {ApiKeyAuthenticationHandler.HeaderName}, or a bearer token where JWT is configured (SECURITY.md)."
                : $"The credential was refused: {failure}");
            return;
        }
        if (authorizeResult.Forbidden)
        {
            var reasons = authorizeResult.AuthorizationFailure?.FailureReasons.Select(r => r.Message).ToList() ?? [];
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await WriteAsync(context, StatusCodes.Status403Forbidden, "Forbidden",
                reasons.Count > 0 ? string.Join(" ", reasons) : "This credential may not do this.");
            return;
        }
        await _default.HandleAsync(next, context, policy, authorizeResult);
    }

    private Task WriteAsync(HttpContext context, int status, string title, string detail) =>
        problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        }).AsTask();

    /// <summary>429 with <c>Retry-After</c> (whole seconds, at least 1) and a ProblemDetails body saying which limit.</summary>
    public static ValueTask WriteTooManyAsync(HttpContext context, TimeSpan? retryAfter, string detail)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling((retryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds));
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = "Too many requests",
                Detail = $"{detail} Retry after {seconds} s.",
            },
        });
    }
}
