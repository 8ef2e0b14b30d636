namespace Orleans.LlmRec.Abstractions;

/// <summary>The interaction types clients send.</summary>
public enum UserEventType
{
    Click,
    View,
    Like,
    Dislike,
    Rating,
}

/// <summary>One interaction as ingested (HTTP batch or Redis Streams), after validation.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.UserEvent")]
public sealed record UserEvent
{
    /// <summary>Client-chosen id; an event is applied once per id (idempotent ingestion).</summary>
    [Id(0)] public required string EventId { get; init; }
    [Id(1)] public required string UserId { get; init; }
    [Id(2)] public required string ItemId { get; init; }
    [Id(3)] public required UserEventType Type { get; init; }

    /// <summary>The rating for <see cref="UserEventType.Rating"/>; ignored otherwise.</summary>
    [Id(4)] public float? Value { get; init; }
    [Id(5)] public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>What applying a batch of events to one user did.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.ApplyResult")]
public sealed record ApplyResult
{
    [Id(0)] public int Applied { get; init; }
    [Id(1)] public int Duplicates { get; init; }
}

/// <summary>A user as <c>GET /v1/users/{id}</c> shows them.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.UserView")]
public sealed record UserView
{
    [Id(0)] public required string UserId { get; init; }
    [Id(1)] public required IReadOnlyList<RecentInteraction> RecentInteractions { get; init; }
    [Id(2)] public string? Preferences { get; init; }
    [Id(3)] public string? Profile { get; init; }
    [Id(4)] public DateTimeOffset? ProfileUpdatedAt { get; init; }
    [Id(5)] public int TotalInteractions { get; init; }

    /// <summary>Version of the model the user's embedding was last folded in with; null before any interaction.</summary>
    [Id(6)] public string? EmbeddingModelVersion { get; init; }

    /// <summary>Items the user disliked: never shown in the feed.</summary>
    [Id(7)] public IReadOnlyList<string> DislikedItems { get; init; } = [];

    /// <summary>Who wrote <see cref="Profile"/>: <c>llm</c>, or <c>preferences</c> (the user's own words, with the LLM off).</summary>
    [Id(8)] public string? ProfileSource { get; init; }

    /// <summary>When re-rank scores were last stored for this user; null before the first.</summary>
    [Id(9)] public DateTimeOffset? RerankUpdatedAt { get; init; }
}

[GenerateSerializer, Immutable, Alias("llmrec.RecentInteraction")]
public sealed record RecentInteraction
{
    [Id(0)] public required string ItemId { get; init; }
    [Id(1)] public required UserEventType Type { get; init; }
    [Id(2)] public float? Value { get; init; }
    [Id(3)] public required DateTimeOffset Timestamp { get; init; }
}
