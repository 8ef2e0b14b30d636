namespace Orleans.LlmRec.Abstractions;

/// <summary>How a queued LLM job for a user ended.</summary>
public enum LlmJobOutcome
{
    /// <summary>A usable result (a profile, or validated scores).</summary>
    Succeeded,

    /// <summary>The call failed (timeout, open circuit, HTTP error, malformed or invalid answer); keep what you had.</summary>
    Failed,

    /// <summary>Nothing to do (no items, no text, no candidates).</summary>
    Skipped,

    /// <summary>The silo's LLM work queue was full and dropped the job unrun.</summary>
    Shed,
}

/// <summary>
/// A profile written off the request path, delivered to the user grain by the silo's LLM work queue. Results arrive in
/// any order; <see cref="Version"/> (issued by the grain when it asked) lets the grain keep only the newest.
/// </summary>
[GenerateSerializer, Immutable, Alias("llmrec.ProfileUpdate")]
public sealed record ProfileUpdate
{
    [Id(0)] public required long Version { get; init; }
    [Id(1)] public required LlmJobOutcome Outcome { get; init; }

    /// <summary>The profile text when <see cref="Outcome"/> is <see cref="LlmJobOutcome.Succeeded"/>.</summary>
    [Id(2)] public string? Text { get; init; }

    /// <summary><c>llm</c>, or <c>preferences</c> when the LLM is off and the user's own words are the profile.</summary>
    [Id(3)] public required string Source { get; init; }

    /// <summary>Why it failed, was skipped or shed.</summary>
    [Id(4)] public string? Error { get; init; }
}

/// <summary>
/// Re-rank scores for some of a user's candidates, delivered to the user grain by the silo's LLM work queue (already
/// validated by the LLM layer: candidate ids only, once each, in [0, 1]).
/// </summary>
[GenerateSerializer, Immutable, Alias("llmrec.RerankUpdate")]
public sealed record RerankUpdate
{
    [Id(0)] public required long Version { get; init; }
    [Id(1)] public required LlmJobOutcome Outcome { get; init; }
    [Id(2)] public IReadOnlyList<ItemScore> Scores { get; init; } = [];

    /// <summary>Identifies the profile and preferences the scores were asked with; a change calls for new scores.</summary>
    [Id(3)] public required string ContextKey { get; init; }
    [Id(4)] public string? Error { get; init; }
}

[GenerateSerializer, Immutable, Alias("llmrec.ItemScore")]
public sealed record ItemScore
{
    [Id(0)] public required string ItemId { get; init; }
    [Id(1)] public required float Score { get; init; }
}
