namespace Orleans.LlmRec.Silo.Security;

/// <summary>
/// The scopes a credential (API key or JWT) can hold. Each is also the name of the authorization policy that requires
/// it, so an endpoint says <c>.RequireAuthorization(ApiScopes.Admin)</c>. With access control off (the embedded
/// default, loopback only) every policy passes.
/// </summary>
public static class ApiScopes
{
    /// <summary><c>POST /v1/events</c>.</summary>
    public const string EventsWrite = "events:write";

    /// <summary>A user's feed and history (<c>GET /v1/users/{id}/feed</c>, <c>GET /v1/users/{id}</c>), similar items.</summary>
    public const string FeedsRead = "feeds:read";

    /// <summary>A user's preferences (<c>PUT /v1/users/{id}/preferences</c>).</summary>
    public const string UsersWrite = "users:write";

    /// <summary>Catalogue writes (the live catalogue of issue 12).</summary>
    public const string ItemsWrite = "items:write";

    /// <summary>Operations: model reload, cluster view, dashboard, <c>/metrics</c> (unless Security:AnonymousMetrics).</summary>
    public const string Admin = "admin";

    /// <summary><c>/metrics</c> only: the scope for a Prometheus scraper, which then holds no key to anything else.</summary>
    public const string MetricsRead = "metrics:read";

    /// <summary>The policy of <c>/metrics</c>: <see cref="Admin"/> or <see cref="MetricsRead"/>, or anyone with <c>Security:AnonymousMetrics</c>.</summary>
    public const string MetricsPolicy = "metrics";

    public static readonly IReadOnlyList<string> All = [EventsWrite, FeedsRead, UsersWrite, ItemsWrite, Admin, MetricsRead];

    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);
}

/// <summary>The claims every credential is reduced to, whichever scheme proved it (API key or JWT).</summary>
public static class LlmRecClaims
{
    /// <summary>One claim per scope held.</summary>
    public const string Scope = "llmrec:scope";

    /// <summary>The user a credential is bound to; absent for an unbound credential.</summary>
    public const string User = "llmrec:user";

    /// <summary>Which credential this is (an API key's name, a token's issuer and subject): the rate limiter's partition.</summary>
    public const string Credential = "llmrec:credential";
}
