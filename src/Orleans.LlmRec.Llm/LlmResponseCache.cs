using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;

namespace Orleans.LlmRec.Llm;

/// <summary>
/// The response cache stage of the chat pipeline: <see cref="DistributedCachingChatClient"/> plus an expiry on every
/// entry (the base class writes entries that never expire, which would grow Redis without bound), a cache-hit
/// counter, and marks on each response so callers can tell a cached answer and evict one they found unusable.
/// </summary>
internal sealed class LlmResponseCachingChatClient : DistributedCachingChatClient
{
    private readonly IDistributedCache _storage;
    private readonly DistributedCacheEntryOptions _entryOptions;
    private readonly LlmMetrics _metrics;

    public LlmResponseCachingChatClient(IChatClient innerClient, IDistributedCache storage, TimeSpan timeToLive, LlmMetrics metrics)
        : base(innerClient, storage)
    {
        _storage = storage;
        _entryOptions = new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = timeToLive };
        _metrics = metrics;
    }

    protected override async Task<ChatResponse?> ReadCacheAsync(string key, CancellationToken cancellationToken)
    {
        var response = await base.ReadCacheAsync(key, cancellationToken).ConfigureAwait(false);
        if (response is not null)
        {
            _metrics.RecordCacheHit();
            LlmResponseCache.Mark(response, key, fromCache: true);
        }
        return response;
    }

    protected override async Task WriteCacheAsync(string key, ChatResponse value, CancellationToken cancellationToken)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, JsonSerializerOptions.GetTypeInfo(typeof(ChatResponse)));
        await _storage.SetAsync(key, bytes, _entryOptions, cancellationToken).ConfigureAwait(false);
        // Marked after serialising, so the mark is not stored: the caller of this call sees the key, a later hit gets its own.
        LlmResponseCache.Mark(value, key, fromCache: false);
    }
}

/// <summary>
/// Reads the marks <see cref="LlmResponseCachingChatClient"/> puts on responses, and evicts a cached answer that turned
/// out unusable (malformed JSON), so that the next identical request asks the LLM again instead of failing from the
/// cache until the entry expires.
/// </summary>
public sealed class LlmResponseCache
{
    internal const string CacheKeyProperty = "llmrec.cache_key";
    internal const string CacheHitProperty = "llmrec.cache_hit";

    private readonly IDistributedCache? _storage;

    /// <param name="storage">The cache the pipeline writes to; null when caching is off (eviction does nothing).</param>
    public LlmResponseCache(IDistributedCache? storage) => _storage = storage;

    /// <summary>True when <paramref name="response"/> was served from the cache rather than by the LLM.</summary>
    public static bool IsCacheHit(ChatResponse response) =>
        response.AdditionalProperties?.TryGetValue(CacheHitProperty, out var hit) == true && hit is true;

    /// <summary>Removes the cache entry <paramref name="response"/> was written to or read from, if any.</summary>
    public async Task EvictAsync(ChatResponse response, CancellationToken cancellationToken)
    {
        if (_storage is null
            || response.AdditionalProperties?.TryGetValue(CacheKeyProperty, out var key) != true
            || key is not string cacheKey)
        {
            return;
        }
        await _storage.RemoveAsync(cacheKey, cancellationToken).ConfigureAwait(false);
    }

    internal static void Mark(ChatResponse response, string key, bool fromCache)
    {
        response.AdditionalProperties ??= [];
        response.AdditionalProperties[CacheKeyProperty] = key;
        if (fromCache)
        {
            response.AdditionalProperties[CacheHitProperty] = true;
        }
    }
}
