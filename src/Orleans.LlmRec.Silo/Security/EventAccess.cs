using Microsoft.AspNetCore.Http.HttpResults;
using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Silo.Security;

/// <summary>
/// What <c>POST /v1/events</c> checks beyond its <see cref="ApiScopes.EventsWrite"/> policy, once the batch is read:
/// a credential bound to a user may send only that user's events, and the batch takes one permit per event from its
/// credential's bucket and from each of its users' buckets.
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
        // Events that fail validation (no user) are refused whole later; here each counts for its credential only.
        var users = batch.Where(e => e?.UserId is not null).Select(e => e!.UserId!).ToList();
        if (permits.Take(RequestRateLimits.CredentialOf(http), batch.Count, users) is not { } refusal) return null;
        var seconds = Math.Max(1, (int)Math.Ceiling(refusal.RetryAfter.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var who = refusal.UserId is null ? "This credential sent" : "The batch holds";
        var whose = refusal.UserId is null ? "" : " for one user";
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
            detail: $"{who} more events{whose} than the limit {refusal.Limit} allows (a batch of N events counts N). No event of the batch was applied. Retry after {seconds} s.",
            extensions: new Dictionary<string, object?> { ["limit"] = refusal.Limit });
    }
}
