using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Silo.Dashboard;

namespace Orleans.LlmRec.Silo.Security;

/// <summary>
/// A login for the operators' dashboard, because a browser's <c>EventSource</c> cannot send <c>X-Api-Key</c>: the page
/// <c>/dashboard/login</c> (served without a credential) posts an admin API key or JWT once, in a header, to
/// <c>POST /dashboard/login</c>, which answers with a session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS,
/// scoped to <c>/dashboard</c>, signed and encrypted by ASP.NET Core's data protection, valid for
/// <c>Security:DashboardSession</c> (30 minutes by default; less if the token that opened it expires sooner) and never
/// renewed by use. The cookie is accepted on the
/// dashboard's routes only (<see cref="Accepts"/>); the API and <c>/metrics</c> still need a key or token. No key ever
/// travels in a URL.
/// </summary>
public static class DashboardLogin
{
    public const string Scheme = "DashboardCookie";
    public const string CookieName = "llmrec_dashboard";
    public const string LoginPath = DashboardEndpoints.Prefix + "/login";

    public static void ConfigureCookie(CookieAuthenticationOptions options, TimeSpan session)
    {
        options.Cookie.Name = CookieName;
        options.Cookie.Path = DashboardEndpoints.Prefix;
        options.Cookie.HttpOnly = true;
        options.Cookie.SameSite = SameSiteMode.Strict;
        options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.ExpireTimeSpan = session;
        options.SlidingExpiration = false;
        // Challenges are answered by AccessProblems (401 problem, or the login page for a browser); never redirect here.
        options.Events.OnRedirectToLogin = context => SetStatus(context, StatusCodes.Status401Unauthorized);
        options.Events.OnRedirectToAccessDenied = context => SetStatus(context, StatusCodes.Status403Forbidden);
    }

    /// <summary>Whether a request may be authenticated by the session cookie: a dashboard route that carries one and no other credential.</summary>
    public static bool Accepts(HttpRequest request) =>
        request.Path.StartsWithSegments(DashboardEndpoints.Prefix) && request.Cookies.ContainsKey(CookieName);

    /// <summary>A browser asking for the dashboard's page without a credential is sent to the login page instead of a 401 problem.</summary>
    public static bool ShouldRedirectToLogin(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && (request.Path.Equals(DashboardEndpoints.Prefix) || request.Path.Equals(DashboardEndpoints.Prefix + "/"))
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    /// <summary>The login page and its script (anonymous), the login itself (admin key or token in a header), logout, and the session's state.</summary>
    public static void MapDashboardLogin(this RouteGroupBuilder dashboard)
    {
        dashboard.MapGet("/login", () => DashboardPage.Serve("login.html")).AllowAnonymous();
        dashboard.MapGet("/login.js", () => DashboardPage.Serve("login.js")).AllowAnonymous();
        dashboard.MapPost("/login", (Delegate)LogInAsync);
        dashboard.MapPost("/logout", (Delegate)LogOutAsync).AllowAnonymous();
        dashboard.MapGet("/session", (Delegate)Session);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> LogInAsync(HttpContext http, IOptions<SecurityOptions> security, TimeProvider time)
    {
        // Only a key or token logs in: a session must not extend itself.
        if (http.User.Identity?.AuthenticationType == Scheme)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                detail: $"Log in with an admin API key ({ApiKeyAuthenticationHandler.HeaderName}) or bearer token; a session cookie cannot renew itself.");
        }
        var claims = http.User.Claims
            .Where(c => c.Type is LlmRecClaims.Credential or ClaimTypes.Name || (c.Type == LlmRecClaims.Scope && c.Value == ApiScopes.Admin))
            .Select(c => new Claim(c.Type, c.Value));
        var session = new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme));
        // A session outlives neither its setting nor the token that opened it.
        var expires = time.GetUtcNow() + security.Value.DashboardSession;
        if ((await http.AuthenticateAsync()).Properties?.ExpiresUtc is { } tokenExpires && tokenExpires < expires) expires = tokenExpires;
        await http.SignInAsync(Scheme, session, new AuthenticationProperties { IsPersistent = false, AllowRefresh = false, ExpiresUtc = expires });
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> LogOutAsync(HttpContext http)
    {
        await http.SignOutAsync(Scheme);
        return TypedResults.NoContent();
    }

    /// <summary>Who is logged in and until when; the page asks when its stream drops, and goes to the login page on 401.</summary>
    private static async Task<Ok<DashboardSession>> Session(HttpContext http) =>
        TypedResults.Ok(new DashboardSession(http.User.Identity?.Name, await SessionExpiryAsync(http)));

    /// <summary>When the request's session cookie expires (null for a key or token, or with access control off).</summary>
    public static async Task<DateTimeOffset?> SessionExpiryAsync(HttpContext http) =>
        http.User.Identity?.AuthenticationType == Scheme ? (await http.AuthenticateAsync(Scheme)).Properties?.ExpiresUtc : null;

    private static Task SetStatus(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }
}

public sealed record DashboardSession(string? Name, DateTimeOffset? ExpiresAt);
