namespace Orleans.LlmRec.Recommendation.Evaluation;

/// <summary>
/// Per-user top-K metrics with binary relevance. <c>ranked</c> is the recommended list, best first
/// (only its first k entries count); <c>relevant</c> the user's held-out relevant items.
/// Formulas (rank r is 1-based):
/// <list type="bullet">
/// <item>precision@k = hits / k (k, not the list length: a short list is penalised, as in Microsoft Recommenders).</item>
/// <item>recall@k = hits / |relevant|.</item>
/// <item>ndcg@k = DCG / IDCG, DCG = Σ_{hit at r} 1 / log2(r + 1), IDCG = Σ_{r=1..min(k, |relevant|)} 1 / log2(r + 1).</item>
/// <item>map@k = (Σ_{hit at r} hits_within_r / r) / |relevant| — Microsoft Recommenders' definition, which divides by
/// the number of relevant items (other libraries divide by min(k, |relevant|), giving larger values).</item>
/// <item>hit@k = 1 if any hit, else 0.</item>
/// </list>
/// </summary>
public static class RankingMetrics
{
    public static int Hits(ReadOnlySpan<int> ranked, IReadOnlySet<int> relevant, int k)
    {
        var hits = 0;
        var n = Math.Min(k, ranked.Length);
        for (var r = 0; r < n; r++) if (relevant.Contains(ranked[r])) hits++;
        return hits;
    }

    public static double PrecisionAtK(ReadOnlySpan<int> ranked, IReadOnlySet<int> relevant, int k) =>
        k <= 0 ? 0 : (double)Hits(ranked, relevant, k) / k;

    public static double RecallAtK(ReadOnlySpan<int> ranked, IReadOnlySet<int> relevant, int k) =>
        relevant.Count == 0 ? 0 : (double)Hits(ranked, relevant, k) / relevant.Count;

    public static double HitRateAtK(ReadOnlySpan<int> ranked, IReadOnlySet<int> relevant, int k) =>
        Hits(ranked, relevant, k) > 0 ? 1 : 0;

    public static double NdcgAtK(ReadOnlySpan<int> ranked, IReadOnlySet<int> relevant, int k)
    {
        if (relevant.Count == 0 || k <= 0) return 0;
        var dcg = 0.0;
        var n = Math.Min(k, ranked.Length);
        for (var r = 0; r < n; r++)
        {
            if (relevant.Contains(ranked[r])) dcg += 1.0 / Math.Log2(r + 2);
        }
        var idcg = 0.0;
        var ideal = Math.Min(k, relevant.Count);
        for (var r = 0; r < ideal; r++) idcg += 1.0 / Math.Log2(r + 2);
        return dcg / idcg;
    }

    public static double AveragePrecisionAtK(ReadOnlySpan<int> ranked, IReadOnlySet<int> relevant, int k)
    {
        if (relevant.Count == 0 || k <= 0) return 0;
        var hits = 0;
        var sum = 0.0;
        var n = Math.Min(k, ranked.Length);
        for (var r = 0; r < n; r++)
        {
            if (relevant.Contains(ranked[r]))
            {
                hits++;
                sum += (double)hits / (r + 1);
            }
        }
        return sum / relevant.Count;
    }
}
