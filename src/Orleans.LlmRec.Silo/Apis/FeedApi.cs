using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Silo.Configuration;
using Orleans.LlmRec.Silo.Metrics;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.Silo.Apis;

public static class FeedApi
{
    public static IEndpointRouteBuilder MapFeedApi(this IEndpointRouteBuilder app)
    {
        // One handler object for the host, its services resolved here once: a handler that takes them as parameters
        // resolves them per request from RequestServices, which opens a DI scope for every cached feed.
        var reads = new FeedReads(app.ServiceProvider);
        app.MapGet("/v1/users/{userId}/feed", reads.GetFeedAsync)
            .WithName("GetFeed")
            .WithSummary("A user's feed: the best items for them now")
            .WithDescription(
                "Ranks items through ingest → user grain → candidates → score → re-rank → feed. Seen and disliked items never " +
                "appear. `source` says which stage produced the order (model, reranked, fallback); `degraded` is true when " +
                "scoring failed or ran over its budget and the last good feed or popular items were served. An unknown user " +
                "is a cold start (popular items, source fallback, not degraded). `exclude` is a comma-separated list of item ids. " +
                "Every feed carries an ETag; a request with that tag in If-None-Match gets 304 Not Modified while the feed is unchanged.")
            .WithTags("Feed")
            .RequireAuthorization(ApiScopes.FeedsRead)
            .WithMetadata(RequestBudget.SetByEndpoint.Instance, CachedFeedReads.Route.Instance)
            .Produces<Feed>(StatusCodes.Status200OK, "application/json")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesValidationProblem();
        return app;
    }
}

/// <summary>GET /v1/users/{userId}/feed, with the services it uses held from start-up.</summary>
internal sealed class FeedReads(IServiceProvider services)
{
    private readonly IGrainFactory _grains = services.GetRequiredService<IGrainFactory>();
    private readonly FeedOptions _options = services.GetRequiredService<IOptions<FeedOptions>>().Value;
    private readonly int _maxIdLength = services.GetRequiredService<IOptions<IngestionOptions>>().Value.MaxIdLength;
    private readonly ServiceMetrics _metrics = services.GetRequiredService<ServiceMetrics>();
    private readonly FeedBodies _bodies = services.GetRequiredService<FeedBodies>();
    private readonly SiloLocalFeeds _localFeeds = services.GetRequiredService<SiloLocalFeeds>();
    private readonly TimeProvider _time = services.GetRequiredService<TimeProvider>();
    private readonly TimeSpan _budget = services.GetRequiredService<IOptions<AvailabilityOptions>>().Value.RequestBudget;

    // A ValueTask: a read answered from the silo-local cache completes synchronously and allocates no Task.
    public async ValueTask<Results<FeedBody, NotModified, ValidationProblem>> GetFeedAsync(HttpContext http, string userId, int? k, string? exclude, bool? explain)
    {
        var count = k ?? _options.DefaultK;
        if (ApiValidation.CheckId(userId, "userId", _maxIdLength) is { } badUser) return badUser;
        if (ApiValidation.CheckK(count, _options.MaxK) is { } badK) return badK;
        var excluded = ExcludedIds(exclude);
        if (excluded.Count > _options.MaxExclude)
        {
            return ApiValidation.Invalid("exclude", $"lists {excluded.Count} items; at most {_options.MaxExclude} are allowed");
        }
        foreach (var itemId in excluded)
        {
            if (ApiValidation.CheckId(itemId, "exclude", _maxIdLength) is { } badItem) return badItem;
        }
        var plain = excluded.Count == 0 && explain != true;
        // A plain read of a feed the user's grain on this silo keeps current is answered here, without a grain call.
        var feed = (plain ? _localFeeds.TryAnswer(userId, count) : null) ?? await AskGrainAsync(userId, count, excluded, explain ?? false);
        return Answer(http, feed, plain) is { } body ? body : NotModified.Instance;
    }

    /// <summary>Answers locally cached feeds at all (a silo with <c>Feed:LocalReadRefresh</c> above zero; never an API tier).</summary>
    public bool AnswersLocally => _localFeeds.Enabled;

    /// <summary>
    /// A plain read (no <c>exclude</c>, no <c>explain</c>) of <paramref name="k"/> items answered from the silo-local
    /// cache, exactly as <see cref="GetFeedAsync"/> answers it; null when the endpoint must answer instead: the feed is
    /// not cached here, or the input is one the endpoint refuses (it writes the 400).
    /// </summary>
    public Task? TryAnswerPlain(HttpContext http, string userId, int k)
    {
        if (ApiValidation.CheckId(userId, "userId", _maxIdLength) is not null || ApiValidation.CheckK(k, _options.MaxK) is not null) return null;
        if (_localFeeds.TryAnswer(userId, k) is not { } feed) return null;
        return Answer(http, feed, plainRead: true) is { } body ? body.ExecuteAsync(http) : NotModified.Instance.ExecuteAsync(http);
    }

    /// <summary>The feed's default length (a read without <c>k</c>).</summary>
    public int DefaultK => _options.DefaultK;

    /// <summary>Records <paramref name="feed"/> as served and sets its headers; the body to send, or null for a 304.</summary>
    private FeedBody? Answer(HttpContext http, Feed feed, bool plainRead)
    {
        _metrics.FeedServed(feed, http);
        var body = _bodies.Of(feed, plainRead);
        // A client polling its feed sends back the tag it holds: while the feed is unchanged it gets a bodiless 304.
        var headers = http.Response.Headers;
        headers.ETag = body.ETag;
        headers.CacheControl = NoCache;
        return http.Request.Headers.IfNoneMatch is { Count: > 0 } held && Matches(held, body.ETag) ? null : body;
    }

    private static readonly StringValues NoCache = "no-cache";

    private Task<Feed> AskGrainAsync(string userId, int k, IReadOnlyList<string> excluded, bool explain)
    {
        // The request budget starts here (the endpoint is marked RequestBudget.SetByEndpoint): the deadline flows into
        // this call, and ends with the request's async flow as the middleware's would.
        RequestBudget.SetDeadline(_time, _budget);
        return _grains.GetUserGrain(userId).GetFeedAsync(new FeedRequest { K = k, Exclude = excluded, Explain = explain });
    }

    // Array.Empty, not []: beside a List the empty collection expression becomes a new List per plain read.
    private static IReadOnlyList<string> ExcludedIds(string? exclude) => string.IsNullOrEmpty(exclude)
        ? Array.Empty<string>()
        : exclude.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>If-None-Match: a list of tags (weak ones compare by their opaque part) or <c>*</c>.</summary>
    private static bool Matches(StringValues held, string etag)
    {
        foreach (var header in held)
        {
            foreach (var tag in (header ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (tag == "*" || tag == etag || (tag.StartsWith("W/", StringComparison.Ordinal) && tag[2..] == etag)) return true;
            }
        }
        return false;
    }
}

/// <summary>
/// 304 Not Modified, one shared object: <c>TypedResults.StatusCode(304)</c> is a new object per answer and resolves a
/// logger from the request's services (a DI scope) to log the status it sets.
/// </summary>
public sealed class NotModified : IResult
{
    public static NotModified Instance { get; } = new();

    private NotModified()
    {
    }

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCodes.Status304NotModified;
        return Task.CompletedTask;
    }
}
