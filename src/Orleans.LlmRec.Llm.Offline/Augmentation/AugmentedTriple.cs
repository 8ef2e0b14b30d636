namespace Orleans.LlmRec.Llm.Offline.Augmentation;

/// <summary>
/// One LLM-chosen BPR triple: for <see cref="UserId"/>, <see cref="PositiveItemId"/> should rank above
/// <see cref="NegativeItemId"/>. Ids are external (as the data set spells them), so the file outlives dense indexes.
/// </summary>
/// <param name="Model">The LLM that chose the pair.</param>
/// <param name="PromptSha256">SHA-256 (hex) of the exact prompt, so a triple can be traced and reproduced.</param>
/// <param name="CreatedAt">When the LLM answered.</param>
public sealed record AugmentedTriple(
    string UserId,
    string PositiveItemId,
    string NegativeItemId,
    string Model,
    string PromptSha256,
    DateTimeOffset CreatedAt);
