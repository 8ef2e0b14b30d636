namespace Orleans.LlmRec.Abstractions;

/// <summary>Where a feed came from: the stage that produced its order.</summary>
public enum FeedSource
{
    /// <summary>Scored by the collaborative model for this user.</summary>
    Model,

    /// <summary>Model candidates re-ordered by the re-ranker (LLM or its TF-IDF fallback).</summary>
    Reranked,

    /// <summary>Not personalised now: the last good feed kept in grain state, or popular items.</summary>
    Fallback,
}

/// <summary>Why a feed item holds its place; filled when the caller asks for <c>explain</c>.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.FeedExplanation")]
public sealed record FeedExplanation
{
    [Id(0)] public float ModelScore { get; init; }
    [Id(1)] public float? RerankScore { get; init; }
    [Id(2)] public string Reason { get; init; } = "";

    /// <summary>The stage that placed the item: model, reranked, or the fallback rung (last-good-feed, popular).</summary>
    [Id(3)] public string Stage { get; init; } = "";
}

[GenerateSerializer, Immutable, Alias("llmrec.FeedItem")]
public sealed record FeedItem
{
    [Id(0)] public required string ItemId { get; init; }
    [Id(1)] public required float Score { get; init; }
    [Id(2)] public string? Title { get; init; }
    [Id(3)] public FeedExplanation? Explanation { get; init; }
}

/// <summary>
/// A user's feed as the API returns it. Immutable: a user grain may hand the same object out again for every plain
/// read of its unchanged feed, and the HTTP API may keep that object's serialised body.
/// </summary>
[GenerateSerializer, Immutable, Alias("llmrec.Feed")]
public sealed record Feed
{
    [Id(0)] public required string UserId { get; init; }
    [Id(1)] public required IReadOnlyList<FeedItem> Items { get; init; }
    [Id(2)] public required FeedSource Source { get; init; }

    /// <summary>True when the feed is not what the full pipeline would give (fallback, stale, or budget exceeded).</summary>
    [Id(3)] public bool Degraded { get; init; }
    [Id(4)] public string? ModelVersion { get; init; }
    [Id(5)] public DateTimeOffset GeneratedAt { get; init; }

    /// <summary>Why the feed is degraded or which fallback served it.</summary>
    [Id(6)] public string? Note { get; init; }

    /// <summary>With <c>explain</c>: the profile the re-ranker read (LLM-written, or the user's own words with the LLM off).</summary>
    [Id(7)] public string? Profile { get; init; }

    /// <summary>With <c>explain</c>: when <see cref="Profile"/> was written.</summary>
    [Id(8)] public DateTimeOffset? ProfileUpdatedAt { get; init; }
}

/// <summary>What the caller asks of a feed.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.FeedRequest")]
public sealed record FeedRequest
{
    [Id(0)] public int K { get; init; } = 20;
    [Id(1)] public IReadOnlyList<string> Exclude { get; init; } = [];
    [Id(2)] public bool Explain { get; init; }

    /// <summary>
    /// No exclusions and no explanation: the read a polling client repeats, which the grain answers with its shared
    /// feed object and the HTTP layer with that object's kept body. Computed, so it is not on the wire.
    /// </summary>
    public bool IsPlain => Exclude.Count == 0 && !Explain;
}
