using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Silo.Apis;

/// <summary>
/// The UTF-8 JSON body of each feed a plain read returned, kept as long as the feed object lives, so a feed handed
/// out again is serialised once, not once per request: JSON writing was the largest cost of a cached read after the
/// socket itself.
/// </summary>
/// <remarks>
/// Why this design: the whole shortcut stays in the HTTP layer. It relies on one fact the contract already states
/// (<see cref="Feed"/> is immutable, so an object's body never changes) and on no flag from the grain: a user grain
/// answers repeated plain reads of its unchanged feed with the same object (its own business, see the grain's feed
/// cache), and a body kept by object identity is found again exactly then. Only plain reads (no exclusions, no
/// explanation) of a feed the grain can hand out again (personalised, not degraded) are kept, because polling clients
/// repeat exactly those URLs; any other feed (cold start, fallback, degraded: rebuilt per request) is written per request
/// and not kept, and neither is anything on an API tier, whose feeds are copies that crossed from a silo: a table
/// entry that can never hit would only be work for the garbage collector.
/// </remarks>
public sealed class FeedBodies(IOptions<JsonOptions> json, bool keepBodies = true)
{
    private readonly ConditionalWeakTable<Feed, FeedBody> _bodies = [];
    private readonly JsonSerializerOptions _options = json.Value.SerializerOptions;

    /// <summary>The body of <paramref name="feed"/> in the HTTP API's JSON options.</summary>
    /// <param name="plainRead">True when the request had no exclusions and asked for no explanation (<see cref="FeedRequest.IsPlain"/>).</param>
    public FeedBody Of(Feed feed, bool plainRead)
    {
        if (!keepBodies || !plainRead || feed.Degraded || feed.Source == FeedSource.Fallback) return FeedBody.Write(feed, _options);
        return _bodies.TryGetValue(feed, out var body) ? body : _bodies.GetValue(feed, f => FeedBody.Write(f, _options));
    }
}

/// <summary>
/// A feed's JSON and its entity tag (a hash of exactly those bytes, so equal bodies share a tag). As a result it
/// writes the bytes as they are, with their length, in one piece: no copy, and no chunked second write.
/// </summary>
public sealed class FeedBody(byte[] utf8Json, string etag) : IResult
{
    public byte[] Utf8Json { get; } = utf8Json;

    public string ETag { get; } = etag;

    public static FeedBody Write(Feed feed, JsonSerializerOptions options)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(feed, options);
        return new FeedBody(json, $"\"{XxHash3.HashToUInt64(json):x16}\"");
    }

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = Utf8Json.Length;
        return response.Body.WriteAsync(Utf8Json, httpContext.RequestAborted).AsTask();
    }
}
