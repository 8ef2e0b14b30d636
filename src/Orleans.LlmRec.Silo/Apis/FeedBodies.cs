using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.Runtime;

namespace Orleans.LlmRec.Silo.Apis;

/// <summary>
/// The UTF-8 JSON body of each feed, kept as long as the feed object lives. A user grain answers repeated reads of its
/// cached feed with the same immutable <see cref="Feed"/> instance (and Orleans passes immutable results between
/// co-hosted callers by reference), so the body is serialised once per cached feed instead of once per request: JSON
/// writing was the largest cost of a cached read after the socket itself. Only a silo keeps bodies, and only for plain
/// requests (the ones a grain answers with its shared object): on an API tier every feed arrives as a fresh copy, and
/// a kept body would never be asked for again.
/// </summary>
public sealed class FeedBodies(IOptions<JsonOptions> json, ILocalSiloDetails? silo = null)
{
    private readonly ConditionalWeakTable<Feed, FeedBody> _bodies = [];
    private readonly JsonSerializerOptions _options = json.Value.SerializerOptions;
    private readonly bool _coHostedWithGrains = silo is not null;

    /// <summary>The body of <paramref name="feed"/>, in the HTTP API's JSON options; kept for <paramref name="plainRequest"/>s.</summary>
    public FeedBody Of(Feed feed, bool plainRequest)
    {
        if (!plainRequest || !_coHostedWithGrains) return FeedBody.Write(feed, _options);
        return _bodies.TryGetValue(feed, out var body) ? body : _bodies.GetValue(feed, f => FeedBody.Write(f, _options));
    }
}

/// <summary>A feed's JSON and its entity tag: a hash of exactly those bytes, so equal bodies share a tag.</summary>
public sealed record FeedBody(byte[] Utf8Json, string ETag)
{
    public static FeedBody Write(Feed feed, JsonSerializerOptions options)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(feed, options);
        return new FeedBody(json, $"\"{XxHash3.HashToUInt64(json):x16}\"");
    }
}
