namespace Orleans.LlmRec.Llm.Reranking;

/// <summary>
/// Keeps only what an answer may say: scores for ids of the candidate set, once each, within [0, 1]. Anything else a
/// model produces (hallucinated ids, ids copied from injected text, repeated entries, absurd scores) is dropped or
/// clamped and counted, so it cannot affect items beyond those the caller asked about.
/// </summary>
public static class RerankValidator
{
    /// <summary>Validates <paramref name="answer"/> against <paramref name="candidateIds"/>; the first entry of a repeated id wins.</summary>
    public static (Dictionary<string, float> Scores, RerankValidation Report) Validate(RerankAnswer answer, IReadOnlySet<string> candidateIds)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(candidateIds);
        var scores = new Dictionary<string, float>(StringComparer.Ordinal);
        int returned = 0, unknown = 0, duplicates = 0, clamped = 0, invalid = 0;
        foreach (var entry in answer.Scores ?? [])
        {
            returned++;
            var id = entry?.ItemId?.Trim();
            if (id is null || !candidateIds.Contains(id))
            {
                unknown++;
                continue;
            }
            if (scores.ContainsKey(id))
            {
                duplicates++;
                continue;
            }
            if (entry!.Score is not { } score || !double.IsFinite(score))
            {
                invalid++;
                continue;
            }
            if (score is < 0 or > 1)
            {
                clamped++;
                score = Math.Clamp(score, 0, 1);
            }
            scores.Add(id, (float)score);
        }
        return (scores, new RerankValidation(returned, scores.Count, unknown, duplicates, clamped, invalid));
    }
}
