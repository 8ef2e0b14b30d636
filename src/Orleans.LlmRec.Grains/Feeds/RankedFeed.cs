using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Grains.Feeds;

/// <summary>
/// A feed as the pipeline assembled it, before it is cut to one request's k: deeper than a request needs, so later
/// requests with exclusions are answered from it, and with each item's scores and stage for explanations. Kept in
/// the user grain's memory (<see cref="Users.FeedCache"/>); what storage keeps of it is a <see cref="Users.PersistedFeed"/>.
/// </summary>
public sealed record RankedFeed
{
    public required List<RankedFeedItem> Items { get; init; }
    public required FeedSource Source { get; init; }
    public required string ModelVersion { get; init; }
    public required DateTimeOffset GeneratedAt { get; init; }
}

public sealed record RankedFeedItem
{
    public required string ItemId { get; init; }
    public required float ModelScore { get; init; }
    public float? RerankScore { get; init; }

    /// <summary>The re-ranker's reason, or the fallback rung's; model reasons are computed when explained.</summary>
    public string? Reason { get; init; }

    /// <summary>model, reranked, last-good-feed or popular.</summary>
    public required string Stage { get; init; }

    /// <summary>The score the order was decided by when the re-rank stage fused scores; null when the order is the model's.</summary>
    public float? FinalScore { get; init; }
}
