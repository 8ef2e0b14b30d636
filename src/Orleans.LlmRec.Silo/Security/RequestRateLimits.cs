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
/// Ingestion limited by events, not requests: token buckets per credential and per user, from which a batch takes one
/// permit per event (per user: one per event of that user), or nothing when any bucket is short (a refused batch costs
/// no permits). Off, every batch passes.
/// </summary>
public sealed class EventPermits : IDisposable
{
    public const string CredentialLimit = "RateLimits:EventsPerSecond";
    public const string UserLimit = "RateLimits:PerUserEventsPerSecond";

    private readonly PartitionedRateLimiter<string>? _byCredential;
    private readonly PartitionedRateLimiter<string>? _byUser;
    private readonly RateLimitOptions _limits;

    public EventPermits(RateLimitOptions limits, bool on)
    {
        _limits = limits;
        if (!on) return;
        _byCredential = PartitionedRateLimiter.Create<string, string>(credential =>
            RateLimitPartition.GetTokenBucketLimiter(credential, _ => RequestRateLimits.Bucket(limits.EventsPerSecond, limits.EventsBurst)));
        _byUser = PartitionedRateLimiter.Create<string, string>(user =>
            RateLimitPartition.GetTokenBucketLimiter(user, _ => RequestRateLimits.Bucket(limits.PerUserEventsPerSecond, limits.PerUserEventsBurst)));
    }

    /// <summary>Takes <paramref name="events"/> permits for <paramref name="credential"/> alone; on refusal, when to retry.</summary>
    public bool TryTake(string credential, int events, out TimeSpan? retryAfter)
    {
        var refusal = Take(credential, events, []);
        retryAfter = refusal?.RetryAfter;
        return refusal is null;
    }

    /// <summary>
    /// Takes one permit per event for <paramref name="credential"/> and, per user, one per event of that user
    /// (<paramref name="userIds"/>: each event's user). Null when the batch may go on; else which limit refused it.
    /// </summary>
    public EventLimitRefusal? Take(string credential, int events, IReadOnlyCollection<string> userIds)
    {
        if (_byCredential is null || _byUser is null || events <= 0) return null;
        // More than a bucket holds could never be granted (the settings check keeps EventsBurst ≥ the batch limit).
        var forCredential = Math.Min(events, _limits.EventsBurst);
        var byUser = userIds.GroupBy(u => u, StringComparer.Ordinal).Select(g => (User: g.Key, Events: Math.Min(g.Count(), _limits.PerUserEventsBurst))).ToList();
        // Everything is checked before anything is taken: a refused batch costs no permits.
        if (IsShort(_byCredential, credential, forCredential, _limits.EventsPerSecond, out var wait)) return new EventLimitRefusal(CredentialLimit, null, wait);
        foreach (var (user, count) in byUser)
        {
            if (IsShort(_byUser, user, count, _limits.PerUserEventsPerSecond, out wait)) return new EventLimitRefusal(UserLimit, user, wait);
        }
        _byCredential.AttemptAcquire(credential, forCredential).Dispose();
        foreach (var (user, count) in byUser) _byUser.AttemptAcquire(user, count).Dispose();
        return null;
    }

    private static bool IsShort(PartitionedRateLimiter<string> limiter, string key, int permits, int perSecond, out TimeSpan retryAfter)
    {
        var available = limiter.GetStatistics(key)?.CurrentAvailablePermits ?? 0;
        retryAfter = TimeSpan.FromSeconds(Math.Max(1.0, (permits - available) / (double)perSecond));
        return available < permits;
    }

    public void Dispose()
    {
        _byCredential?.Dispose();
        _byUser?.Dispose();
    }
}

/// <summary>Why a batch of events was refused: the limit's setting, the user (for a per-user limit), when to retry.</summary>
public sealed record EventLimitRefusal(string Limit, string? UserId, TimeSpan RetryAfter);
