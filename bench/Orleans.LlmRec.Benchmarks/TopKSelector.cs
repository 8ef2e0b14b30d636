using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>
/// Top-k by a min-heap of size k behind a vectorised threshold test: 16 scores at a time are compared with the
/// heap's smallest score and only a block holding a better one is looked at item by item. For n ≫ k almost every
/// block is rejected with one compare, so the selection costs about one read of the row.
/// </summary>
public static class TopKSelector
{
    /// <summary>The best <paramref name="k"/> scores, best first; -inf scores (excluded items) are never returned.</summary>
    public static ScoredItem[] Select(ReadOnlySpan<float> scores, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        k = Math.Min(k, scores.Length);
        Span<float> heapScores = k <= 256 ? stackalloc float[k] : new float[k];
        Span<int> heapItems = k <= 256 ? stackalloc int[k] : new int[k];
        heapScores.Fill(float.NegativeInfinity);
        heapItems.Fill(-1);
        var threshold = float.NegativeInfinity;

        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref var first = ref MemoryMarshal.GetReference(scores);
            var lastBlock = scores.Length - Vector512<float>.Count;
            for (; i <= lastBlock; i += Vector512<float>.Count)
            {
                var block = Vector512.LoadUnsafe(ref first, (nuint)i);
                if (!Vector512.GreaterThanAny(block, Vector512.Create(threshold))) continue;
                for (var j = i; j < i + Vector512<float>.Count; j++)
                {
                    if (scores[j] > threshold) threshold = Replace(heapScores, heapItems, scores[j], j);
                }
            }
        }
        for (; i < scores.Length; i++)
        {
            if (scores[i] > threshold) threshold = Replace(heapScores, heapItems, scores[i], i);
        }

        var count = 0;
        foreach (var item in heapItems) if (item >= 0) count++;
        var result = new ScoredItem[count];
        var next = 0;
        for (var h = 0; h < k; h++)
        {
            if (heapItems[h] >= 0) result[next++] = new ScoredItem(heapItems[h], heapScores[h]);
        }
        // Best first; among equal scores the lower index first, so a run is deterministic.
        Array.Sort(result, static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Item.CompareTo(b.Item));
        return result;
    }

    /// <summary>Puts (score, item) in place of the heap's smallest and returns the new smallest score.</summary>
    private static float Replace(Span<float> heapScores, Span<int> heapItems, float score, int item)
    {
        var size = heapScores.Length;
        var position = 0;
        while (true)
        {
            var child = 2 * position + 1;
            if (child >= size) break;
            if (child + 1 < size && heapScores[child + 1] < heapScores[child]) child++;
            if (heapScores[child] >= score) break;
            heapScores[position] = heapScores[child];
            heapItems[position] = heapItems[child];
            position = child;
        }
        heapScores[position] = score;
        heapItems[position] = item;
        return heapScores[0];
    }
}
