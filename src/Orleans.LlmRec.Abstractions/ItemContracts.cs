namespace Orleans.LlmRec.Abstractions;

/// <summary>The body of <c>PUT /v1/items/{itemId}</c> (and the <c>json</c> field of an item stream entry).</summary>
// Serializable for the API tier, which hands the body to a silo to validate and apply (IApiTierGrain.PutItemAsync).
[GenerateSerializer, Immutable, Alias("llmrec.ItemRequest")]
public sealed record ItemRequest
{
    /// <summary>Required, non-blank.</summary>
    [Id(0)] public string? Title { get; init; }

    /// <summary>Longer free text (description, overview); optional.</summary>
    [Id(1)] public string? Text { get; init; }

    /// <summary>Tags or genres; optional.</summary>
    [Id(2)] public List<string?>? Tags { get; init; }

    /// <summary>When the item appeared; unset = when the catalogue applies it. Without an offset it is UTC.</summary>
    [Id(3)] public DateTimeOffset? PublishedAt { get; init; }

    /// <summary>False keeps the item known but out of every feed; default true.</summary>
    [Id(4)] public bool? Available { get; init; }
}

/// <summary>An item as <c>GET /v1/items/{itemId}</c> (and a successful PUT or DELETE) shows it.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.ItemView")]
public sealed record ItemView
{
    [Id(0)] public required string ItemId { get; init; }
    [Id(1)] public string? Title { get; init; }
    [Id(2)] public string? Text { get; init; }
    [Id(3)] public IReadOnlyList<string> Tags { get; init; } = [];
    [Id(4)] public DateTimeOffset? PublishedAt { get; init; }
    [Id(5)] public required bool Available { get; init; }
    [Id(6)] public required bool Retired { get; init; }

    /// <summary>True when the served model was trained on the item; false for an item published since.</summary>
    [Id(7)] public required bool Trained { get; init; }

    /// <summary>How a new item was placed in the model's space (e.g. <c>tags</c>, <c>text</c>); null for trained items.</summary>
    [Id(8)] public string? VectorSource { get; init; }

    /// <summary>The catalogue version this silo had applied when it answered (the last catalogue log entry id).</summary>
    [Id(9)] public string? CatalogueVersion { get; init; }
}

/// <summary>What a catalogue write did, as the item API answers it (<c>PUT</c>/<c>DELETE /v1/items/{itemId}</c>).</summary>
[GenerateSerializer, Alias("llmrec.ItemWriteOutcome")]
public enum ItemWriteOutcome
{
    /// <summary>Appended to the catalogue log and applied by the answering silo.</summary>
    Applied,
    /// <summary>The catalogue already held exactly this: nothing appended.</summary>
    Unchanged,
    /// <summary>A PUT of a retired item: retired items never come back.</summary>
    Retired,
    /// <summary>A DELETE of an item the catalogue never held.</summary>
    Unknown,
    /// <summary>The body was refused (see <see cref="ItemWriteResult.Errors"/>): nothing changed.</summary>
    Invalid,
}

/// <summary>A catalogue write's outcome, the item as the answering silo then holds it, or the body's problems by field.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.ItemWriteResult")]
public sealed record ItemWriteResult
{
    [Id(0)] public required ItemWriteOutcome Outcome { get; init; }
    [Id(1)] public ItemView? Item { get; init; }
    [Id(2)] public Dictionary<string, string[]>? Errors { get; init; }
}
