namespace Orleans.LlmRec.Llm.Reranking;

/// <summary>A candidate as the collaborative model scored it.</summary>
public readonly record struct ModelCandidate(string ItemId, float ModelScore);

/// <summary>A candidate after fusion, with the parts of its final score.</summary>
/// <param name="RerankScore">The re-ranker's score, or null when it gave none (the fusion then used the stand-in).</param>
public readonly record struct FusedCandidate(string ItemId, float ModelScore, float NormalizedModelScore, float? RerankScore, float FinalScore);

/// <summary>One candidate's parts of its fused score, by its position in the list fused.</summary>
/// <param name="RerankScore">The re-ranker's score as used (clamped into [0, 1]), or null when it gave none.</param>
public readonly record struct FusedScore(int Position, float NormalizedModelScore, float? RerankScore, float FinalScore);

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
        var modelScores = new float[candidates.Count];
        var given = new float?[candidates.Count];
        for (var i = 0; i < candidates.Count; i++)
        {
            modelScores[i] = candidates[i].ModelScore;
            given[i] = rerankScores.TryGetValue(candidates[i].ItemId, out var score) ? score : null;
        }
        return Fuse(modelScores, given, alpha)
            .Select(f => new FusedCandidate(candidates[f.Position].ItemId, candidates[f.Position].ModelScore, f.NormalizedModelScore, f.RerankScore, f.FinalScore))
            .ToArray();
    }

    /// <summary>
    /// The same fusion by position, for callers that key candidates by something other than an item id (the feed
    /// path's dense item indexes): candidate <c>i</c> has <paramref name="modelScores"/>[i] and
    /// <paramref name="rerankScores"/>[i] (null when the re-ranker gave none). Returns the candidates in fused order.
    /// </summary>
    public static FusedScore[] Fuse(IReadOnlyList<float> modelScores, IReadOnlyList<float?> rerankScores, float alpha)
    {
        ArgumentNullException.ThrowIfNull(modelScores);
        ArgumentNullException.ThrowIfNull(rerankScores);
        ArgumentOutOfRangeException.ThrowIfNotEqual(rerankScores.Count, modelScores.Count);
        if (float.IsNaN(alpha) || alpha is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α must be within [0, 1].");
        }

        var normalized = MinMaxNormalize(modelScores);
        // The same clamping and finiteness rule for the stand-in mean and each candidate, so the two never disagree.
        var usable = new float?[rerankScores.Count];
        double scoredSum = 0;
        var scoredCount = 0;
        for (var i = 0; i < usable.Length; i++)
        {
            if (rerankScores[i] is { } score && float.IsFinite(score))
            {
                usable[i] = Math.Clamp(score, 0f, 1f);
                scoredSum += usable[i]!.Value;
                scoredCount++;
            }
        }
        var standIn = scoredCount > 0 ? (float)(scoredSum / scoredCount) : (float?)null;

        var fused = new FusedScore[modelScores.Count];
        for (var i = 0; i < fused.Length; i++)
        {
            var final = standIn is { } mean
                ? ((1 - alpha) * normalized[i]) + (alpha * (usable[i] ?? mean))
                : normalized[i];
            fused[i] = new FusedScore(i, normalized[i], usable[i], final);
        }
        // Stable: equal final scores keep the model's order.
        return fused.OrderByDescending(f => f.FinalScore).ThenBy(f => f.Position).ToArray();
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
