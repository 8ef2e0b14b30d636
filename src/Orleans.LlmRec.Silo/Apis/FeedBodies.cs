using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Silo.Apis;

/// <summary>
/// The UTF-8 JSON body of each shared feed, kept as long as the feed object lives. A user grain answers repeated
/// plain reads of its cached feed with one immutable <see cref="Feed"/> marked <see cref="Feed.IsShared"/> (and
/// Orleans passes immutable results between co-hosted callers by reference), so its body is serialised once instead
/// of once per request: JSON writing was the largest cost of a cached read after the socket itself. Every other feed
/// (explained, excluding, fallback, or a copy from another silo or through an API tier) is serialised per request
/// and not kept, since nobody would ask for it again.
/// </summary>
public sealed class FeedBodies(IOptions<JsonOptions> json)
{
    private readonly ConditionalWeakTable<Feed, FeedBody> _bodies = [];
    private readonly JsonSerializerOptions _options = json.Value.SerializerOptions;

    /// <summary>The body of <paramref name="feed"/> in the HTTP API's JSON options.</summary>
    public FeedBody Of(Feed feed)
    {
        if (!feed.IsShared) return FeedBody.Write(feed, _options);
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
