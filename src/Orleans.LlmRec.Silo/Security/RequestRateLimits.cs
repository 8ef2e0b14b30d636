using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace Orleans.LlmRec.Silo.Security;

/// <summary>
/// The request limiter (ASP.NET Core's rate-limiting middleware): a token bucket per credential chained with one per
/// user (the <c>{userId}</c> of the route). Health, metrics, the OpenAPI document and event ingestion are not
/// counted here; ingestion is limited by events (<see cref="EventPermits"/>).
/// </summary>
public static class RequestRateLimits
{
    public static void Configure(RateLimiterOptions options, RateLimitOptions limits)
    {
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        options.GlobalLimiter = PartitionedRateLimiter.CreateChained(
            PartitionedRateLimiter.Create<HttpContext, string>(context => IsCounted(context)
                ? RateLimitPartition.GetTokenBucketLimiter("credential:" + CredentialOf(context), _ => Bucket(limits.PerCredentialRequestsPerSecond, limits.PerCredentialBurst))
                : RateLimitPartition.GetNoLimiter("")),
            PartitionedRateLimiter.Create<HttpContext, string>(context => IsCounted(context) && context.GetRouteValue(BoundUserRequirement.RouteValue) is string user
                ? RateLimitPartition.GetTokenBucketLimiter("user:" + user, _ => Bucket(limits.PerUserRequestsPerSecond, limits.PerUserBurst))
                : RateLimitPartition.GetNoLimiter("")));
        options.OnRejected = (rejected, _) => AccessProblems.WriteTooManyAsync(rejected.HttpContext,
            rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : null,
            "This credential or this user made more requests than its limit (RateLimits:*).");
    }

    /// <summary>
    /// The rate limiter's partition: the credential's own name; without one (access control off, or a request about to
    /// be refused 401), the client's address.
    /// </summary>
    public static string CredentialOf(HttpContext context) =>
        context.User.FindFirst(LlmRecClaims.Credential)?.Value ?? "ip:" + context.Connection.RemoteIpAddress;

    /// <summary>
    /// A token bucket refilled every 100 ms (or once per token below 10 a second), so a client refused is told to
    /// come back within about a second rather than at the next whole second.
    /// </summary>
    public static TokenBucketRateLimiterOptions Bucket(int perSecond, int burst)
    {
        var (period, tokens) = perSecond >= 10
            ? (TimeSpan.FromMilliseconds(100), (int)Math.Ceiling(perSecond / 10.0))
            : (TimeSpan.FromSeconds(1.0 / perSecond), 1);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }

    private static bool IsCounted(HttpContext context)
    {
        var path = context.Request.Path;
        return !(path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics") || path.StartsWithSegments("/openapi")
            || path.StartsWithSegments("/v1/events"));
    }
}

/// <summary>
/// Ingestion limited by events, not requests: a token bucket per credential from which a batch of N events takes N
/// at once, or nothing (a refused batch costs no tokens). Off, every batch passes.
/// </summary>
public sealed class EventPermits : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _limiter;
    private readonly int _burst;

    public EventPermits(RateLimitOptions limits, bool on)
    {
        _burst = limits.EventsBurst;
        if (on)
        {
            _limiter = PartitionedRateLimiter.Create<string, string>(credential =>
                RateLimitPartition.GetTokenBucketLimiter(credential, _ => RequestRateLimits.Bucket(limits.EventsPerSecond, limits.EventsBurst)));
        }
    }

    /// <summary>Takes <paramref name="events"/> permits for <paramref name="credential"/>; on refusal, when to retry.</summary>
    public bool TryTake(string credential, int events, out TimeSpan? retryAfter)
    {
        retryAfter = null;
        if (_limiter is null || events <= 0) return true;
        // More than the bucket holds could never be granted (the settings check keeps EventsBurst ≥ the batch limit).
        using var lease = _limiter.AttemptAcquire(credential, Math.Min(events, _burst));
        if (lease.IsAcquired) return true;
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : null;
        return false;
    }

    public void Dispose() => _limiter?.Dispose();
}
