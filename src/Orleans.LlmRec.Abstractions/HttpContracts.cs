namespace Orleans.LlmRec.Abstractions;

// Shapes that travel over HTTP (JSON, camelCase). They are the public wire contract of the service, shared with
// clients such as the CLI's replay, so they live here rather than in the host. Those an API tier hands to the silos
// (IApiTierGrain) also carry Orleans serializer ids.

/// <summary>
/// One event as a client sends it in <c>POST /v1/events</c>, before validation: every field may be missing or wrong,
/// and the validator names the offending one (<c>events[3].itemId</c>).
/// </summary>
[GenerateSerializer, Immutable, Alias("llmrec.IncomingEvent")]
public sealed record IncomingEvent
{
    [Id(0)] public string? EventId { get; init; }
    [Id(1)] public string? UserId { get; init; }
    [Id(2)] public string? ItemId { get; init; }

    /// <summary>Exactly one of click, view, like, dislike or rating, in any ASCII case (<see cref="UserEventTypeNames"/>).</summary>
    [Id(3)] public string? Type { get; init; }

    /// <summary>The rating for type <c>rating</c> (required there); ignored for the other types.</summary>
    [Id(4)] public float? Value { get; init; }

    /// <summary>When the interaction happened (ISO 8601; without an offset it is UTC); may not lie far in the future.</summary>
    [Id(5)]
    [System.Text.Json.Serialization.JsonConverter(typeof(UtcUnlessOffsetJsonConverter))]
    public DateTimeOffset? Timestamp { get; init; }
}

/// <summary>What <c>POST /v1/events</c> did with a batch that passed validation.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.IngestResponse")]
public sealed record IngestResponse
{
    /// <summary>Events applied now.</summary>
    [Id(0)] public required int Accepted { get; init; }

    /// <summary>Events skipped because their id was applied before (re-sending a batch is safe: ids are remembered per user, the last 1,000).</summary>
    [Id(1)] public required int Duplicates { get; init; }

    /// <summary>Distinct users the batch touched.</summary>
    [Id(2)] public required int Users { get; init; }
}

/// <summary>
/// Body of <c>PUT /v1/users/{userId}/preferences</c>; null or empty clears them. The field must be there and nothing
/// else may be: a misspelt key must not read as "clear my preferences".
/// </summary>
[System.Text.Json.Serialization.JsonUnmappedMemberHandling(System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow)]
public sealed record PreferencesUpdate
{
    [System.Text.Json.Serialization.JsonRequired]
    public string? Preferences { get; init; }
}

/// <summary>An item close to another one in the model's item space.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.SimilarItem")]
public sealed record SimilarItem
{
    [Id(0)] public required string ItemId { get; init; }

    /// <summary>Cosine similarity of the item vectors, in [-1, 1]; for a model without vectors, the item's popularity.</summary>
    [Id(1)] public required float Score { get; init; }
    [Id(2)] public string? Title { get; init; }
}

/// <summary>Answer of <c>GET /v1/items/{itemId}/similar</c>.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.SimilarItemsResponse")]
public sealed record SimilarItemsResponse
{
    [Id(0)] public required string ItemId { get; init; }
    [Id(1)] public string? Title { get; init; }
    [Id(2)] public required IReadOnlyList<SimilarItem> Items { get; init; }

    /// <summary><c>model</c> when ranked by item vectors; <c>fallback</c> when the model has none (popular items instead).</summary>
    [Id(3)] public required FeedSource Source { get; init; }
    [Id(4)] public required string ModelVersion { get; init; }
}

/// <summary>
/// What ingesting a batch did: applied (<see cref="Response"/> set), or refused whole with the problems found, keyed
/// by field (<c>events[3].itemId</c>).
/// </summary>
[GenerateSerializer, Immutable, Alias("llmrec.IngestResult")]
public sealed record IngestResult
{
    [Id(0)] public IngestResponse? Response { get; init; }
    [Id(1)] public IReadOnlyDictionary<string, string[]> Errors { get; init; } = new Dictionary<string, string[]>();

    public bool Rejected => Response is null;

    public static IngestResult Applied(IngestResponse response) => new() { Response = response };

    public static IngestResult Refused(IReadOnlyDictionary<string, string[]> errors) => new() { Errors = errors };
}
