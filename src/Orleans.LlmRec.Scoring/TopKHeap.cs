using System.Runtime.CompilerServices;

namespace Orleans.LlmRec.Scoring;

/// <summary>
/// The size-k heap behind <see cref="TopKSelector"/>: two parallel spans (scores, items) with the worst kept entry
/// at the root, so the threshold an item must beat is always <c>heapScores[0]</c>. Empty slots hold -inf.
/// </summary>
internal static class TopKHeap
{
    /// <summary>Whether (a, ia) ranks below (b, ib): a lower score, or an equal score and a higher index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Worse(float a, int ia, float b, int ib) => a < b || (a == b && ia > ib);

    /// <summary>Puts (score, item) in place of the heap's worst entry and returns the new worst score.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Replace(Span<float> heapScores, Span<int> heapItems, float score, int item)
    {
        SiftDown(heapScores, heapItems, score, item);
        return heapScores[0];
    }

    /// <summary>Heap-sorts in place, best first, and returns the number of real (above -inf) entries.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int SortHeap(Span<float> heapScores, Span<int> heapItems)
    {
        // Repeatedly move the worst entry to the end: the spans end up best first.
        for (var end = heapScores.Length - 1; end > 0; end--)
        {
            (heapScores[0], heapScores[end]) = (heapScores[end], heapScores[0]);
            (heapItems[0], heapItems[end]) = (heapItems[end], heapItems[0]);
            SiftDown(heapScores[..end], heapItems[..end], heapScores[0], heapItems[0]);
        }
        var count = 0;
        while (count < heapScores.Length && heapScores[count] > float.NegativeInfinity) count++;
        return count;
    }

    /// <summary>Places (score, item) at the root and moves it down to where the heap order holds again.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SiftDown(Span<float> heapScores, Span<int> heapItems, float score, int item)
    {
        var size = heapScores.Length;
        var position = 0;
        while (true)
        {
            var child = 2 * position + 1;
            if (child >= size) break;
            if (child + 1 < size && Worse(heapScores[child + 1], heapItems[child + 1], heapScores[child], heapItems[child])) child++;
            if (!Worse(heapScores[child], heapItems[child], score, item)) break;
            heapScores[position] = heapScores[child];
            heapItems[position] = heapItems[child];
            position = child;
        }
        heapScores[position] = score;
        heapItems[position] = item;
    }
}
