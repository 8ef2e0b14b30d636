namespace Orleans.LlmRec.Silo.Apis;

/// <summary>
/// A terminal shortcut for the most frequent request, a plain read of a feed this silo keeps current
/// (<c>GET /v1/users/{userId}/feed</c> or <c>?k=N</c>, answered by <c>SiloLocalFeeds</c>): it answers right after routing
/// matched the feed endpoint, with what the endpoint would send (<see cref="FeedReads.TryAnswerPlain"/>: the kept bytes,
/// ETag and 304, Cache-Control, the feed metrics), and skips the middlewares and the endpoint's parameter binding in
/// between, none of which does anything for such a request. Anything else (another query, an id or k the endpoint
/// refuses, a feed not cached here) goes on through the pipeline untouched, so errors keep their one path.
/// </summary>
/// <remarks>
/// Where it sits: with access control and rate limits off, right after the request limits; with either on, after them
/// (<see cref="Hosting.EndpointRegistration"/>), so a credential is checked and counted exactly as for the endpoint. Routing runs
/// first in both cases (WebApplication puts it there), so the route's case rules and decoding are the endpoint's, and
/// ASP.NET Core's request metrics still carry the feed route.
/// </remarks>
public static class CachedFeedReads
{
    /// <summary>Endpoint metadata: the endpoint whose plain reads are answered here.</summary>
    public sealed class Route
    {
        public static Route Instance { get; } = new();

        private Route()
        {
        }
    }

    /// <summary>Reads answered by the shortcut since the host started (a singleton service; for tests and diagnostics).</summary>
    public sealed class Answered
    {
        private long _count;

        public long Count => Interlocked.Read(ref _count);

        internal void Add() => Interlocked.Increment(ref _count);
    }

    /// <summary>Adds the shortcut where the silo answers feeds from its local cache; nothing on an API tier or with the cache off.</summary>
    public static IApplicationBuilder UseCachedFeedReads(this IApplicationBuilder app)
    {
        var reads = new FeedReads(app.ApplicationServices);
        if (!reads.AnswersLocally) return app;
        var answered = app.ApplicationServices.GetRequiredService<Answered>();
        var feedEndpoint = new FeedEndpoint();
        return app.Use((context, next) => (feedEndpoint.Matches(context.GetEndpoint()) ? TryAnswer(context, reads, answered) : null) ?? next(context));
    }

    private static Task? TryAnswer(HttpContext context, FeedReads reads, Answered answered)
    {
        var request = context.Request;
        if (!request.RouteValues.TryGetValue("userId", out var value) || value is not string userId || PlainK(request.QueryString.Value, reads.DefaultK) is not { } k) return null;
        var answer = reads.TryAnswerPlain(context, userId, k);
        if (answer is not null) answered.Add();
        return answer;
    }

    /// <summary>
    /// The k of a query that is empty or exactly <c>?k=</c> and 1 to 4 digits without a leading zero (what clients
    /// send); null for any other query, which the endpoint reads itself.
    /// </summary>
    public static int? PlainK(string? query, int defaultK)
    {
        if (string.IsNullOrEmpty(query)) return defaultK;
        if (query.Length is < 4 or > 7 || !query.StartsWith("?k=", StringComparison.Ordinal) || query[3] == '0') return null;
        var k = 0;
        for (var i = 3; i < query.Length; i++)
        {
            if (!char.IsAsciiDigit(query[i])) return null;
            k = k * 10 + (query[i] - '0');
        }
        return k;
    }

    /// <summary>Recognises the feed endpoint by its <see cref="Route"/> metadata, looked up once per endpoint object.</summary>
    private sealed class FeedEndpoint
    {
        private Endpoint? _feed;

        public bool Matches(Endpoint? endpoint)
        {
            if (endpoint is null) return false;
            if (ReferenceEquals(endpoint, _feed)) return true;
            if (endpoint.Metadata.GetMetadata<Route>() is null) return false;
            _feed = endpoint;
            return true;
        }
    }
}
