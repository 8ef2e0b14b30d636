namespace Orleans.LlmRec.Llm;

/// <summary>Tokens one LLM call spent, as the server reported them.</summary>
/// <param name="InputTokens">Prompt tokens.</param>
/// <param name="OutputTokens">Completion tokens.</param>
/// <param name="FromCache">
/// True when the answer came from the response cache: the counts are those of the original call and were not spent
/// again, so they do not count against the token budget.
/// </param>
public readonly record struct LlmUsage(long InputTokens, long OutputTokens, bool FromCache)
{
    public static LlmUsage None => default;

    public long TotalTokens => InputTokens + OutputTokens;

    /// <summary>Tokens this call actually cost (nothing when served from the cache).</summary>
    public long SpentTokens => FromCache ? 0 : TotalTokens;
}

/// <summary>How an LLM-layer operation ended.</summary>
public enum LlmResultStatus
{
    /// <summary>The operation produced a usable result.</summary>
    Succeeded,

    /// <summary>The call failed (timeout, open circuit, HTTP error, malformed answer); the caller keeps what it had.</summary>
    Failed,

    /// <summary>There was nothing to do (no candidates, no text to work from).</summary>
    Skipped,

    /// <summary>The work queue dropped the job before it ran because the queue was full.</summary>
    Shed,
}
