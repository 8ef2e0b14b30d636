using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Feeds;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// The user's cached feed: the last feed the full pipeline produced, whether it is still current, and the response
/// last handed out for a plain read of it. Storage keeps only <see cref="Saved"/> (ids and model scores, written with the
/// user's next event, never on the feed path); a re-read or re-activated grain gets it back as the last good feed,
/// not current, so the fallback ladder's middle rung survives while the next request builds a fresh feed.
/// </summary>
/// <remarks>
/// The cached read: a plain request (no exclusions, no explanation) of an unchanged feed is answered with the same
/// immutable <see cref="Feed"/> object every time (<see cref="Reuse"/>), so the grain copies nothing and Orleans
/// passes it to a co-hosted caller by reference. That the HTTP API then keeps the object's serialised body is the
/// API's own business (it caches bodies by object identity), so no flag crosses the layers.
/// </remarks>
[GenerateSerializer, Alias("llmrec.FeedCache")]
public sealed class FeedCache
{
    [NonSerialized] private RankedFeed? _lastGood;
    [NonSerialized] private bool _current;
    [NonSerialized] private SharedResponse? _shared;
    [NonSerialized] private PersistedFeed? _written;
    [NonSerialized] private int _changes;
    [NonSerialized] private long _catalogueGeneration;

    /// <summary>The catalogue generation the kept feed was built over.</summary>
    public long CatalogueGeneration => _catalogueGeneration;

    /// <summary>
    /// A newer last good feed goes to storage with a user's next write only when the stored one is of another model
    /// or this much older: it is the fallback rung, and rewriting it after every feed would make an event's write
    /// carry a whole feed.
    /// </summary>
    public static readonly TimeSpan SaveInterval = TimeSpan.FromMinutes(10);

    /// <summary>What storage keeps of the last good feed.</summary>
    [Id(0)] public PersistedFeed? Saved { get; private set; }

    /// <summary>The last feed the full pipeline produced (restored from <see cref="Saved"/> after a read); the fallback ladder's middle rung.</summary>
    public RankedFeed? LastGood => _lastGood ??= Saved?.ToRankedFeed();

    /// <summary>False once anything that shapes the feed changed after <see cref="LastGood"/> was made.</summary>
    public bool IsCurrent => _current && LastGood is not null;

    /// <summary>Marks the cached feed as outdated; it stays as the fallback until a new one replaces it.</summary>
    public void Invalidate()
    {
        _current = false;
        _changes++;
    }

    /// <summary>Counts <see cref="Invalidate"/> calls: a feed built across a change (events interleave with a feed build) is not current.</summary>
    public int Changes => _changes;

    /// <summary>
    /// Keeps <paramref name="feed"/> (at most <paramref name="bound"/> items) as the last good feed, and as the current
    /// one unless something changed since <paramref name="changesWhenBuilt"/> (<see cref="Changes"/> when its build began).
    /// </summary>
    /// <param name="catalogueGeneration">The catalogue's generation when the build began: a feed of another one is not current (items came or went).</param>
    public void Keep(RankedFeed feed, int bound, int? changesWhenBuilt = null, long catalogueGeneration = 0)
    {
        _catalogueGeneration = catalogueGeneration;
        // A request with a long exclude list builds deeper than the cache holds; keep the state bounded.
        _lastGood = feed.Items.Count <= bound ? feed : feed with { Items = feed.Items.Take(bound).ToList() };
        _current = changesWhenBuilt is not { } changes || changes == _changes;
        Saved = PersistedFeed.From(_lastGood);
    }

    /// <summary>Whether <see cref="Saved"/> should be stored with the next write (see <see cref="SaveInterval"/>).</summary>
    public bool SaveDue => Saved is { } saved && !ReferenceEquals(saved, _written)
        && (_written is null || _written.ModelVersion != saved.ModelVersion || saved.GeneratedAt - _written.GeneratedAt >= SaveInterval);

    /// <summary>Storage now holds <paramref name="written"/> (what a read returned, or a write stored).</summary>
    public void MarkWritten(PersistedFeed? written) => _written = written;

    /// <summary>
    /// The cached feed when it answers <paramref name="request"/>: current, made with <paramref name="modelVersion"/>,
    /// and deep enough for k after the request's exclusions. Null when the feed must be built.
    /// </summary>
    public RankedFeed? Answering(FeedRequest request, string modelVersion, long catalogueGeneration = 0)
    {
        if (!_current || LastGood is not { } feed || feed.ModelVersion != modelVersion || catalogueGeneration != _catalogueGeneration) return null;
        if (request.Exclude.Count == 0) return feed.Items.Count >= request.K ? feed : null;
        var excluded = request.Exclude.ToHashSet(StringComparer.Ordinal);
        return feed.Items.Count(i => !excluded.Contains(i.ItemId)) >= request.K ? feed : null;
    }

    /// <summary>The response last remembered for this plain request of the current feed, or null.</summary>
    public Feed? Reuse(FeedRequest request) =>
        request.IsPlain && _shared is { } shared && shared.K == request.K && ReferenceEquals(shared.From, _lastGood) ? shared.Response : null;

    /// <summary>
    /// Remembers <paramref name="response"/> as the answer to every later plain read of the current feed with the same
    /// k (only for a plain request, and only a response that says no more than the feed itself), and returns it.
    /// </summary>
    public Feed Remember(FeedRequest request, Feed response)
    {
        if (request.IsPlain && _lastGood is { } from) _shared = new SharedResponse(from, request.K, response);
        return response;
    }

    /// <summary>
    /// What every plain read of <see cref="SharedK"/> items gets now without the grain rebuilding anything: the
    /// remembered response while the feed is current, else null (what <see cref="SiloLocalFeeds"/> may answer).
    /// </summary>
    public Feed? SharedNow => _current && _shared is { } shared && ReferenceEquals(shared.From, _lastGood) ? shared.Response : null;

    /// <summary>The k of <see cref="SharedNow"/>.</summary>
    public int SharedK => _shared?.K ?? 0;

    private sealed record SharedResponse(RankedFeed From, int K, Feed Response);
}

/// <summary>What storage keeps of a user's last good feed: enough for the fallback rung, nothing that explains it.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.SavedFeed")]
public sealed record PersistedFeed
{
    [Id(0)] public required string ModelVersion { get; init; }
    [Id(1)] public required DateTimeOffset GeneratedAt { get; init; }
    [Id(2)] public required FeedSource Source { get; init; }
    [Id(3)] public required string[] ItemIds { get; init; }

    /// <summary>Model scores, one per item id.</summary>
    [Id(4)] public required float[] Scores { get; init; }

    public static PersistedFeed From(RankedFeed feed) => new()
    {
        ModelVersion = feed.ModelVersion,
        GeneratedAt = feed.GeneratedAt,
        Source = feed.Source,
        ItemIds = [.. feed.Items.Select(i => i.ItemId)],
        Scores = [.. feed.Items.Select(i => i.ModelScore)],
    };

    public RankedFeed ToRankedFeed() => new()
    {
        Items = [.. ItemIds.Zip(Scores, (itemId, score) => new RankedFeedItem { ItemId = itemId, ModelScore = score, Stage = FeedPipeline.ModelStage })],
        Source = Source,
        ModelVersion = ModelVersion,
        GeneratedAt = GeneratedAt,
    };
}
