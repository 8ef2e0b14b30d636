namespace Orleans.LlmRec.Abstractions;

/// <summary>The body of <c>PUT /v1/items/{itemId}</c> (and the <c>json</c> field of an item stream entry).</summary>
public sealed record ItemRequest
{
    /// <summary>Required, non-blank.</summary>
    public string? Title { get; init; }

    /// <summary>Longer free text (description, overview); optional.</summary>
    public string? Text { get; init; }

    /// <summary>Tags or genres; optional.</summary>
    public List<string?>? Tags { get; init; }

    /// <summary>When the item appeared; unset = when the catalogue applies it. Without an offset it is UTC.</summary>
    public DateTimeOffset? PublishedAt { get; init; }

    /// <summary>False keeps the item known but out of every feed; default true.</summary>
    public bool? Available { get; init; }
}

/// <summary>An item as <c>GET /v1/items/{itemId}</c> (and a successful PUT or DELETE) shows it.</summary>
public sealed record ItemView
{
    public required string ItemId { get; init; }
    public string? Title { get; init; }
    public string? Text { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public DateTimeOffset? PublishedAt { get; init; }
    public required bool Available { get; init; }
    public required bool Retired { get; init; }

    /// <summary>True when the served model was trained on the item; false for an item published since.</summary>
    public required bool Trained { get; init; }

    /// <summary>How a new item was placed in the model's space (e.g. <c>tags</c>, <c>text</c>); null for trained items.</summary>
    public string? VectorSource { get; init; }

    /// <summary>The catalogue version this silo had applied when it answered (the last catalogue log entry id).</summary>
    public string? CatalogueVersion { get; init; }
}
