namespace Orleans.LlmRec.Abstractions;

/// <summary>
/// Where the LLM's answers for a user land: the silo's LLM work queue calls this when a job it took off the request
/// path ends, whatever the outcome. Implemented by the user grain and keyed by the same user id, but kept apart from
/// <see cref="IUserGrain"/> so clients see only their own calls.
/// </summary>
[Alias("llmrec.IUserLlmResults")]
public interface IUserLlmResults : IGrainWithStringKey
{
    /// <summary>Stores a profile the LLM layer wrote. Older versions than the stored one are ignored.</summary>
    [Alias("ApplyProfile")]
    [ResponseTimeout(UserGrainTimeouts.Write)]
    Task ApplyProfileAsync(ProfileUpdate update);

    /// <summary>
    /// Stores re-rank scores, merged with earlier ones by item id (a newer version wins per item); the next feed fuses
    /// them with the model's scores. Failures are remembered for labelling.
    /// </summary>
    [Alias("ApplyRerank")]
    [ResponseTimeout(UserGrainTimeouts.Write)]
    Task ApplyRerankAsync(RerankUpdate update);
}
