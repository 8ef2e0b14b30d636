namespace Orleans.LlmRec.Llm.Reranking;

/// <summary>A candidate as the collaborative model scored it.</summary>
public readonly record struct ModelCandidate(string ItemId, float ModelScore);

/// <summary>A candidate after fusion, with the parts of its final score.</summary>
/// <param name="RerankScore">The re-ranker's score, or null when it gave none (the fusion then used the stand-in).</param>
public readonly record struct FusedCandidate(string ItemId, float ModelScore, float NormalizedModelScore, float? RerankScore, float FinalScore);

/// <summary>
/// Combines the collaborative model's scores with a re-ranker's: <c>final = (1-α)·norm(model) + α·rerank</c>, where
/// <c>norm</c> is min-max normalisation within the candidate set (the model's scores are on no fixed scale; the
/// re-ranker's are in [0, 1]).
/// <para>
/// A candidate the re-ranker did not score (it came after the top-N sent, joined the candidate set after the call, or
/// its entry was dropped by validation) takes the <b>mean</b> of the re-rank scores the other candidates got. That is
/// neutral: such an item is neither pushed down for lack of an opinion nor lifted above items the re-ranker liked, and
/// its place among the rest is decided by its model score. With no re-rank score at all the order is the model's.
/// </para>
/// </summary>
public static class RerankFusion
{
    public static IReadOnlyList<FusedCandidate> Fuse(IReadOnlyList<ModelCandidate> candidates, IReadOnlyDictionary<string, float> rerankScores, float alpha)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(rerankScores);
        if (float.IsNaN(alpha) || alpha is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α must be within [0, 1].");
        }

        var normalized = MinMaxNormalize(candidates.Select(c => c.ModelScore).ToArray());
        double scoredSum = 0;
        var scoredCount = 0;
        foreach (var candidate in candidates)
        {
            if (rerankScores.TryGetValue(candidate.ItemId, out var score) && float.IsFinite(score))
            {
                scoredSum += Math.Clamp(score, 0f, 1f);
                scoredCount++;
            }
        }
        var standIn = scoredCount > 0 ? (float)(scoredSum / scoredCount) : (float?)null;

        var fused = new (FusedCandidate Candidate, int Index)[candidates.Count];
        for (var i = 0; i < candidates.Count; i++)
        {
            var candidate = candidates[i];
            // The same clamping and finiteness rule as the stand-in mean above, so the two never disagree.
            float? rerank = rerankScores.TryGetValue(candidate.ItemId, out var score) && float.IsFinite(score) ? Math.Clamp(score, 0f, 1f) : null;
            var final = standIn is { } mean
                ? ((1 - alpha) * normalized[i]) + (alpha * (rerank ?? mean))
                : normalized[i];
            fused[i] = (new FusedCandidate(candidate.ItemId, candidate.ModelScore, normalized[i], rerank, final), i);
        }
        // Stable: equal final scores keep the model's order.
        return fused
            .OrderByDescending(f => f.Candidate.FinalScore)
            .ThenBy(f => f.Index)
            .Select(f => f.Candidate)
            .ToArray();
    }

    /// <summary>
    /// Keeps re-rank scores across calls: a newer answer overrides an older one item by item, and items only the older
    /// answer scored keep their score (a re-rank of the latest candidates should not forget items still shown).
    /// </summary>
    /// <param name="retain">When given, only ids in it are kept (e.g. the current candidate set), so the map stays bounded.</param>
    public static Dictionary<string, float> Merge(
        IReadOnlyDictionary<string, float>? older, IReadOnlyDictionary<string, float> newer, IReadOnlySet<string>? retain = null)
    {
        ArgumentNullException.ThrowIfNull(newer);
        var merged = new Dictionary<string, float>(StringComparer.Ordinal);
        if (older is not null)
        {
            foreach (var (id, score) in older)
            {
                if (retain is null || retain.Contains(id))
                {
                    merged[id] = score;
                }
            }
        }
        foreach (var (id, score) in newer)
        {
            if (retain is null || retain.Contains(id))
            {
                merged[id] = score;
            }
        }
        return merged;
    }

    /// <summary>Maps scores onto [0, 1] by the set's minimum and maximum; all-equal scores map to 0.5.</summary>
    public static float[] MinMaxNormalize(IReadOnlyList<float> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var result = new float[scores.Count];
        if (scores.Count == 0)
        {
            return result;
        }
        var min = float.PositiveInfinity;
        var max = float.NegativeInfinity;
        foreach (var score in scores)
        {
            if (float.IsFinite(score))
            {
                min = Math.Min(min, score);
                max = Math.Max(max, score);
            }
        }
        var range = max - min;
        for (var i = 0; i < result.Length; i++)
        {
            var score = scores[i];
            result[i] = !float.IsFinite(score) ? (score > 0 ? 1f : 0f)
                : range > 0 ? (score - min) / range
                : 0.5f;
        }
        return result;
    }
}
