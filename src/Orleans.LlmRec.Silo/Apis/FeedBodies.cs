using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Silo.Apis;

/// <summary>
/// The UTF-8 JSON body of each feed, kept as long as the feed object lives. A user grain answers repeated reads of its
/// cached feed with the same immutable <see cref="Feed"/> instance (and Orleans passes immutable results between
/// co-hosted callers by reference), so the body is serialised once per cached feed instead of once per request: JSON
/// writing was the largest cost of a cached read after the socket itself. Feeds that arrive as copies (through the
/// API tier's Orleans client, or rebuilt per request) simply get their own entry, which dies with them.
/// </summary>
public sealed class FeedBodies(IOptions<JsonOptions> json)
{
    private readonly ConditionalWeakTable<Feed, byte[]> _bodies = [];
    private readonly JsonSerializerOptions _options = json.Value.SerializerOptions;

    /// <summary>The body of <paramref name="feed"/>, in the HTTP API's JSON options.</summary>
    public byte[] Of(Feed feed) =>
        _bodies.TryGetValue(feed, out var body) ? body : _bodies.GetValue(feed, f => JsonSerializer.SerializeToUtf8Bytes(f, _options));
}
