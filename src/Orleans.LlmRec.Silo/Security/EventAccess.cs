using Microsoft.AspNetCore.Http.HttpResults;
using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Silo.Security;

/// <summary>
/// What <c>POST /v1/events</c> checks beyond its <see cref="ApiScopes.EventsWrite"/> policy, once the batch is read:
/// a credential bound to a user may send only that user's events, and the batch takes one permit per event.
/// </summary>
public static class EventAccess
{
    /// <summary>Null when the batch may go on; else the 403 or 429 to answer (nothing of the batch applied).</summary>
    public static ProblemHttpResult? Check(HttpContext http, IReadOnlyCollection<IncomingEvent?>? batch)
    {
        if (batch is null) return null;
        if (AccessPolicies.BoundUser(http.User) is { } bound && batch.Any(e => e is not null && !string.Equals(e.UserId, bound, StringComparison.Ordinal)))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: "This credential is bound to one user and may send only that user's events; the batch holds another user's. No event of it was applied.");
        }
        var permits = http.RequestServices.GetRequiredService<EventPermits>();
        if (permits.TryTake(RequestRateLimits.CredentialOf(http), batch.Count, out var retryAfter)) return null;
        var seconds = Math.Max(1, (int)Math.Ceiling((retryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
            detail: $"This credential sent more events than its limit (RateLimits:EventsPerSecond, a batch of N events counts N). No event of the batch was applied. Retry after {seconds} s.");
    }
}
