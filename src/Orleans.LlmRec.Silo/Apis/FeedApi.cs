using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Silo.Metrics;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.Silo.Apis;

public static class FeedApi
{
    public static IEndpointRouteBuilder MapFeedApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/users/{userId}/feed", GetFeedAsync)
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
            .Produces<Feed>(StatusCodes.Status200OK, "application/json")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesValidationProblem();
        return app;
    }

    private static async Task<Results<FeedBody, StatusCodeHttpResult, ValidationProblem>> GetFeedAsync(
        HttpContext http, string userId, int? k, string? exclude, bool? explain, IGrainFactory grains, IOptions<FeedOptions> options, IOptions<IngestionOptions> ingestion, ServiceMetrics metrics, FeedBodies bodies, SiloLocalFeeds localFeeds)
    {
        var feedOptions = options.Value;
        var count = k ?? feedOptions.DefaultK;
        if (ApiValidation.CheckId(userId, "userId", ingestion.Value.MaxIdLength) is { } badUser) return badUser;
        if (ApiValidation.CheckK(count, feedOptions.MaxK) is { } badK) return badK;
        var excluded = ExcludedIds(exclude);
        if (excluded.Count > feedOptions.MaxExclude)
        {
            return ApiValidation.Invalid("exclude", $"lists {excluded.Count} items; at most {feedOptions.MaxExclude} are allowed");
        }
        foreach (var itemId in excluded)
        {
            if (ApiValidation.CheckId(itemId, "exclude", ingestion.Value.MaxIdLength) is { } badItem) return badItem;
        }
        var plain = excluded.Count == 0 && explain != true;
        // A plain read of a feed the user's grain on this silo keeps current is answered here, without a grain call.
        var feed = (plain ? localFeeds.TryAnswer(userId, count) : null)
            ?? await grains.GetUserGrain(userId).GetFeedAsync(new FeedRequest { K = count, Exclude = excluded, Explain = explain ?? false });
        metrics.FeedServed(feed, http);
        var body = bodies.Of(feed, plain);
        // A client polling its feed sends back the tag it holds: while the feed is unchanged it gets a bodiless 304.
        http.Response.Headers.ETag = body.ETag;
        http.Response.Headers.CacheControl = "no-cache";
        if (http.Request.Headers.IfNoneMatch is { Count: > 0 } held && Matches(held, body.ETag)) return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return body;
    }

    private static IReadOnlyList<string> ExcludedIds(string? exclude) => string.IsNullOrEmpty(exclude)
        ? []
        : exclude.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>If-None-Match: a list of tags (weak ones compare by their opaque part) or <c>*</c>.</summary>
    private static bool Matches(Microsoft.Extensions.Primitives.StringValues held, string etag)
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
