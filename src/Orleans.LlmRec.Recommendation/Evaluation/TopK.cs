namespace Orleans.LlmRec.Recommendation.Evaluation;

/// <summary>Top-K selection over a score vector without sorting the whole catalogue.</summary>
public static class TopK
{
    /// <summary>
    /// Writes the indexes of the k largest scores, best first, into <paramref name="result"/> and returns how many
    /// were written (fewer than k when fewer items are eligible). Items whose score is negative infinity or NaN are
    /// never returned; ties go to the lower index, so the order is deterministic.
    /// </summary>
    public static int Select(ReadOnlySpan<float> scores, int k, Span<int> result)
    {
        k = Math.Min(k, result.Length);
        if (k <= 0) return 0;
        // A sorted buffer (descending) with insertion: for k ≤ a few hundred this beats a heap on real data,
        // because almost every item fails the first comparison against the current k-th score.
        Span<float> best = k <= 512 ? stackalloc float[k] : new float[k];
        var count = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var s = scores[i];
            if (float.IsNaN(s) || float.IsNegativeInfinity(s)) continue;
            if (count == k && s <= best[k - 1]) continue;
            var pos = count < k ? count : k - 1;
            while (pos > 0 && best[pos - 1] < s)
            {
                if (pos < k)
                {
                    best[pos] = best[pos - 1];
                    result[pos] = result[pos - 1];
                }
                pos--;
            }
            best[pos] = s;
            result[pos] = i;
            if (count < k) count++;
        }
        return count;
    }
}
