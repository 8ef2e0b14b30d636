namespace Orleans.LlmRec.Abstractions;

// Shapes that travel over HTTP only (JSON, camelCase). They are the public wire contract of the service, shared with
// clients such as the CLI's replay, so they live here rather than in the host.

/// <summary>
/// One event as a client sends it in <c>POST /v1/events</c>, before validation: every field may be missing or wrong,
/// and the validator names the offending one (<c>events[3].itemId</c>).
/// </summary>
public sealed record IncomingEvent
{
    public string? EventId { get; init; }
    public string? UserId { get; init; }
    public string? ItemId { get; init; }

    /// <summary>click, view, like, dislike or rating (case-insensitive).</summary>
    public string? Type { get; init; }

    /// <summary>The rating for type <c>rating</c> (required there); ignored for the other types.</summary>
    public float? Value { get; init; }

    /// <summary>When the interaction happened (ISO 8601 with offset); may not lie far in the future.</summary>
    public DateTimeOffset? Timestamp { get; init; }
}

/// <summary>What <c>POST /v1/events</c> did with a batch that passed validation.</summary>
public sealed record IngestResponse
{
    /// <summary>Events applied now.</summary>
    public required int Accepted { get; init; }

    /// <summary>Events skipped because their id was applied before (re-sending a batch is safe).</summary>
    public required int Duplicates { get; init; }

    /// <summary>Distinct users the batch touched.</summary>
    public required int Users { get; init; }
}

/// <summary>Body of <c>PUT /v1/users/{userId}/preferences</c>; null or empty clears them.</summary>
public sealed record PreferencesUpdate
{
    public string? Preferences { get; init; }
}

/// <summary>An item close to another one in the model's item space.</summary>
public sealed record SimilarItem
{
    public required string ItemId { get; init; }

    /// <summary>Cosine similarity of the item vectors, in [-1, 1]; for a model without vectors, the item's popularity.</summary>
    public required float Score { get; init; }
    public string? Title { get; init; }
}

/// <summary>Answer of <c>GET /v1/items/{itemId}/similar</c>.</summary>
public sealed record SimilarItemsResponse
{
    public required string ItemId { get; init; }
    public string? Title { get; init; }
    public required IReadOnlyList<SimilarItem> Items { get; init; }

    /// <summary><c>model</c> when ranked by item vectors; <c>fallback</c> when the model has none (popular items instead).</summary>
    public required FeedSource Source { get; init; }
    public required string ModelVersion { get; init; }
}
