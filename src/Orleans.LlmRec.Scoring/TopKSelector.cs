using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Orleans.LlmRec.Scoring;

/// <summary>
/// Top-k of a score row by a size-k heap of the worst kept item behind a vectorised threshold test: 64 scores at a
/// time are reduced to their maximum and compared with the worst kept score, and only the lanes of a block that beat
/// it are looked at. For n ≫ k almost every block is rejected with a few vector instructions, so selection costs
/// about one read of the row, far less than ONNX Runtime's TopK node, which sorts.
/// The order is a full sort's: best score first, the lower index first among equal scores. -inf and NaN scores
/// are never returned (a row with NaN scores may also lose finite items: callers keep scores finite), nor items whose bit is set in an optional exclusion bitmap (bit i of word i / 64), which is
/// only consulted for the few items that beat the threshold: excluding seen items costs no pass and no write over the
/// row. Fewer than k items come back when fewer are eligible. The selection loop is compiled fully optimised from its
/// first call (<see cref="MethodImplOptions.AggressiveOptimization"/>): unoptimised (tier-0) code of this vector loop
/// is many times slower, and a scorer's first seconds of traffic would run it.
/// </summary>
public static class TopKSelector
{
    /// <summary>The best <paramref name="k"/> scores of <paramref name="scores"/>, best first.</summary>
    public static ScoredItem[] Select(ReadOnlySpan<float> scores, int k) => Select(scores, k, 0f);

    /// <summary>
    /// As <see cref="Select(ReadOnlySpan{float}, int)"/>, with <paramref name="offset"/> added to each returned score
    /// (a per-row constant, such as a user bias, cannot change the order, so it is added to the k kept only).
    /// </summary>
    public static ScoredItem[] Select(ReadOnlySpan<float> scores, int k, float offset) => Select(scores, k, offset, default);

    /// <summary>
    /// As <see cref="Select(ReadOnlySpan{float}, int, float)"/>, never returning an item whose bit is set in
    /// <paramref name="excluded"/> (bit <c>i % 64</c> of word <c>i / 64</c>; shorter than the row = not excluded).
    /// </summary>
    public static ScoredItem[] Select(ReadOnlySpan<float> scores, int k, float offset, ReadOnlySpan<ulong> excluded)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        k = Math.Min(k, scores.Length);
        if (k == 0) return [];
        Span<float> heapScores = k <= 256 ? stackalloc float[k] : new float[k];
        Span<int> heapItems = k <= 256 ? stackalloc int[k] : new int[k];
        var count = SelectInto(scores, heapScores, heapItems, excluded);
        var result = new ScoredItem[count];
        for (var i = 0; i < count; i++) result[i] = new ScoredItem(heapItems[i], heapScores[i] + offset);
        return result;
    }

    /// <summary>
    /// Selects the best <c>heapScores.Length</c> scores into the two spans, best first, and returns how many there are
    /// (fewer when fewer scores are above -inf). Allocates nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int SelectInto(ReadOnlySpan<float> scores, Span<float> heapScores, Span<int> heapItems, ReadOnlySpan<ulong> excluded = default)
    {
        var k = heapScores.Length;
        if (heapItems.Length != k) throw new ArgumentException("The score and item spans must have the same length.", nameof(heapItems));
        if (k == 0) return 0;
        heapScores.Fill(float.NegativeInfinity);
        heapItems.Fill(int.MaxValue);
        if (Vector512.IsHardwareAccelerated && scores.Length / ChunkWidth >= MinimumChunksPerK * k)
        {
            return SelectByChunkMaxima(scores, heapScores, heapItems, excluded);
        }
        var threshold = float.NegativeInfinity;
        ref var first = ref MemoryMarshal.GetReference(scores);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            const int width = 16;
            for (; i <= scores.Length - 4 * width; i += 4 * width)
            {
                var a = Vector512.LoadUnsafe(ref first, (nuint)i);
                var b = Vector512.LoadUnsafe(ref first, (nuint)(i + width));
                var c = Vector512.LoadUnsafe(ref first, (nuint)(i + 2 * width));
                var d = Vector512.LoadUnsafe(ref first, (nuint)(i + 3 * width));
                var limit = Vector512.Create(threshold);
                if (!Vector512.GreaterThanAny(Vector512.Max(Vector512.Max(a, b), Vector512.Max(c, d)), limit)) continue;
                for (var block = 0; block < 4; block++)
                {
                    var start = i + block * width;
                    var bits = (uint)Vector512.GreaterThan(Vector512.LoadUnsafe(ref first, (nuint)start), Vector512.Create(threshold)).ExtractMostSignificantBits();
                    threshold = Visit(scores, heapScores, heapItems, start, bits, threshold, excluded);
                }
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            const int width = 8;
            for (; i <= scores.Length - 4 * width; i += 4 * width)
            {
                var a = Vector256.LoadUnsafe(ref first, (nuint)i);
                var b = Vector256.LoadUnsafe(ref first, (nuint)(i + width));
                var c = Vector256.LoadUnsafe(ref first, (nuint)(i + 2 * width));
                var d = Vector256.LoadUnsafe(ref first, (nuint)(i + 3 * width));
                var limit = Vector256.Create(threshold);
                if (!Vector256.GreaterThanAny(Vector256.Max(Vector256.Max(a, b), Vector256.Max(c, d)), limit)) continue;
                for (var block = 0; block < 4; block++)
                {
                    var start = i + block * width;
                    var bits = Vector256.GreaterThan(Vector256.LoadUnsafe(ref first, (nuint)start), Vector256.Create(threshold)).ExtractMostSignificantBits();
                    threshold = Visit(scores, heapScores, heapItems, start, bits, threshold, excluded);
                }
            }
        }
        for (; i < scores.Length; i++)
        {
            if (scores[i] > threshold && !IsExcluded(excluded, i)) threshold = TopKHeap.Replace(heapScores, heapItems, scores[i], i);
        }
        return TopKHeap.SortHeap(heapScores, heapItems);
    }

    /// <summary>Scores per chunk in the two-pass selection: one 64-bit word of the exclusion bitmap, four Vector512s.</summary>
    private const int ChunkWidth = 64;

    /// <summary>Below this many chunks per kept item the chunk maxima bound too little to pay for their pass.</summary>
    private const int MinimumChunksPerK = 4;

    private static readonly Vector512<uint> LaneBits = Vector512.Create(
        1u << 0, 1u << 1, 1u << 2, 1u << 3, 1u << 4, 1u << 5, 1u << 6, 1u << 7,
        1u << 8, 1u << 9, 1u << 10, 1u << 11, 1u << 12, 1u << 13, 1u << 14, 1u << 15);

    /// <summary>
    /// Two passes, with almost no branches over the row. Pass 1 reduces each chunk of 64 scores to its maximum over
    /// the eligible items (excluded lanes and NaN masked to -inf straight from the bitmap word, no branch). The k-th
    /// largest chunk maximum t is a lower bound of the k-th best eligible score: the k chunks behind it hold k distinct
    /// eligible items scoring at least t. Pass 2 visits only chunks whose maximum reaches t, and in them only items
    /// scoring at least t, so the heap sees a few dozen candidates instead of a row's worth of branches. Exact.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int SelectByChunkMaxima(ReadOnlySpan<float> scores, Span<float> heapScores, Span<int> heapItems, ReadOnlySpan<ulong> excluded)
    {
        const int width = 16;
        var k = heapScores.Length;
        var chunks = scores.Length / ChunkWidth;
        float[]? rented = null;
        var maxima = chunks <= 4096 ? stackalloc float[chunks] : (rented = System.Buffers.ArrayPool<float>.Shared.Rent(chunks)).AsSpan(0, chunks);
        try
        {
            ref var first = ref MemoryMarshal.GetReference(scores);
            var minusInfinity = Vector512.Create(float.NegativeInfinity);
            for (var c = 0; c < chunks; c++)
            {
                var start = c * ChunkWidth;
                var a = Vector512.LoadUnsafe(ref first, (nuint)start);
                var b = Vector512.LoadUnsafe(ref first, (nuint)(start + width));
                var d = Vector512.LoadUnsafe(ref first, (nuint)(start + 2 * width));
                var e = Vector512.LoadUnsafe(ref first, (nuint)(start + 3 * width));
                var word = (uint)c < (uint)excluded.Length ? excluded[c] : 0UL;
                if (word != 0)
                {
                    a = Vector512.ConditionalSelect(Keep((uint)word), a, minusInfinity);
                    b = Vector512.ConditionalSelect(Keep((uint)(word >> 16)), b, minusInfinity);
                    d = Vector512.ConditionalSelect(Keep((uint)(word >> 32)), d, minusInfinity);
                    e = Vector512.ConditionalSelect(Keep((uint)(word >> 48)), e, minusInfinity);
                }
                // MaxNative is one instruction; a NaN lane may make a chunk's maximum NaN and the chunk be skipped.
                // Scores are finite here (finite exported weights, user vectors checked by the scorer), and NaN
                // items are never selected anyway: they fail every "greater than" test.
                var m = Vector512.MaxNative(Vector512.MaxNative(a, b), Vector512.MaxNative(d, e));
                var m256 = Vector256.MaxNative(m.GetLower(), m.GetUpper());
                var m128 = Vector128.MaxNative(m256.GetLower(), m256.GetUpper());
                var m64 = Vector128.MaxNative(m128, Vector128.Shuffle(m128, Vector128.Create(2, 3, 0, 1)));
                maxima[c] = MathF.Max(m64.ToScalar(), m64.GetElement(1));
            }

            // The k-th largest chunk maximum, by the single-pass selection over the (short) maxima row.
            Span<float> boundScores = k <= 256 ? stackalloc float[k] : new float[k];
            Span<int> boundChunks = k <= 256 ? stackalloc int[k] : new int[k];
            var bound = SelectInto(maxima, boundScores, boundChunks) == k ? boundScores[k - 1] : float.NegativeInfinity;
            // Candidates are items scoring at least the bound: strictly above the next float below it.
            var floor = float.IsNegativeInfinity(bound) ? bound : MathF.BitDecrement(bound);

            var threshold = floor;
            ref var firstMaximum = ref MemoryMarshal.GetReference(maxima);
            var c2 = 0;
            for (; c2 <= chunks - width; c2 += width)
            {
                var hits = (uint)Vector512.GreaterThan(Vector512.LoadUnsafe(ref firstMaximum, (nuint)c2), Vector512.Create(threshold)).ExtractMostSignificantBits();
                while (hits != 0)
                {
                    var chunk = c2 + BitOperations.TrailingZeroCount(hits);
                    hits &= hits - 1;
                    threshold = VisitChunk(scores, heapScores, heapItems, chunk, threshold, excluded);
                }
            }
            for (; c2 < chunks; c2++)
            {
                if (maxima[c2] > threshold) threshold = VisitChunk(scores, heapScores, heapItems, c2, threshold, excluded);
            }
            for (var i = chunks * ChunkWidth; i < scores.Length; i++)
            {
                if (scores[i] > threshold && !IsExcluded(excluded, i)) threshold = Math.Max(TopKHeap.Replace(heapScores, heapItems, scores[i], i), floor);
            }
            return TopKHeap.SortHeap(heapScores, heapItems);
        }
        finally
        {
            if (rented is not null) System.Buffers.ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>Lanes to keep: those whose bit is clear in the 16 low bits of <paramref name="bits"/> (not excluded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Keep(uint bits) =>
        Vector512.Equals(Vector512.Create(bits) & LaneBits, Vector512<uint>.Zero).AsSingle();

    /// <summary>Offers the items of one chunk above <paramref name="threshold"/> to the heap; returns the new threshold.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float VisitChunk(ReadOnlySpan<float> scores, Span<float> heapScores, Span<int> heapItems, int chunk, float threshold, ReadOnlySpan<ulong> excluded)
    {
        const int width = 16;
        ref var first = ref MemoryMarshal.GetReference(scores);
        var floor = threshold;
        for (var block = 0; block < 4; block++)
        {
            var start = chunk * ChunkWidth + block * width;
            var bits = (uint)Vector512.GreaterThan(Vector512.LoadUnsafe(ref first, (nuint)start), Vector512.Create(threshold)).ExtractMostSignificantBits();
            while (bits != 0)
            {
                var j = start + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                // The heap's worst score stays -inf until it holds k items; the bound keeps weaker items out meanwhile.
                if (scores[j] > threshold && !IsExcluded(excluded, j)) threshold = Math.Max(TopKHeap.Replace(heapScores, heapItems, scores[j], j), floor);
            }
        }
        return threshold;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Visit(ReadOnlySpan<float> scores, Span<float> heapScores, Span<int> heapItems, int start, uint bits, float threshold, ReadOnlySpan<ulong> excluded)
    {
        while (bits != 0)
        {
            var j = start + BitOperations.TrailingZeroCount(bits);
            bits &= bits - 1;
            // The threshold may have risen since the lanes were compared.
            if (scores[j] > threshold && !IsExcluded(excluded, j)) threshold = TopKHeap.Replace(heapScores, heapItems, scores[j], j);
        }
        return threshold;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsExcluded(ReadOnlySpan<ulong> excluded, int item) =>
        (uint)(item >> 6) < (uint)excluded.Length && (excluded[item >> 6] & (1UL << item)) != 0;
}
