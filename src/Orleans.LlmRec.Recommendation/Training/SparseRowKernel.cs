using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// One row of a CSR sparse matrix times a dense row-major matrix: y = Σ_k w_k · x[c_k]. The row is built in eight
/// vector registers (64 floats) per pass over the neighbours, so y is written once and only the neighbours' rows
/// are read: a loop of <see cref="TensorPrimitives.MultiplyAdd(ReadOnlySpan{float}, float, ReadOnlySpan{float}, Span{float})"/>
/// per neighbour reads and writes y once per edge and pays a call per edge, which at a million edges dominates.
/// Each element is summed in neighbour order with a separate multiply and add, exactly as that loop did, so the
/// result is bit-identical to it (and to any thread count).
/// </summary>
internal static class SparseRowKernel
{
    private const int Lanes = 8;
    private const int Chunk = 8 * Lanes;
    private const int WideLanes = 16;
    private const int WideChunk = 8 * WideLanes;

    /// <summary>
    /// y = Σ_{k in [start, end)} values[k] · x[columns[k]] (rows of length <paramref name="dimension"/>), and, when
    /// <paramref name="sum"/> is not empty, sum += y.
    /// </summary>
    public static void MultiplyRow(ReadOnlySpan<int> columns, ReadOnlySpan<float> values, float[] x, Span<float> y, Span<float> sum, int dimension)
    {
        var c0 = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; c0 + WideChunk <= dimension; c0 += WideChunk) MultiplyWideChunk(columns, values, x, y.Slice(c0, WideChunk), dimension, c0);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; c0 + Chunk <= dimension; c0 += Chunk) MultiplyChunk(columns, values, x, y.Slice(c0, Chunk), dimension, c0);
        }
        if (c0 < dimension)
        {
            var tail = y[c0..dimension];
            tail.Clear();
            for (var k = 0; k < columns.Length; k++)
            {
                TensorPrimitives.MultiplyAdd(x.AsSpan(columns[k] * dimension + c0, dimension - c0), values[k], tail, tail);
            }
        }
        if (!sum.IsEmpty) TensorPrimitives.Add(sum, y, sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyWideChunk(ReadOnlySpan<int> columns, ReadOnlySpan<float> values, float[] x, Span<float> y, int dimension, int offset)
    {
        var a0 = Vector512<float>.Zero;
        var a1 = Vector512<float>.Zero;
        var a2 = Vector512<float>.Zero;
        var a3 = Vector512<float>.Zero;
        var a4 = Vector512<float>.Zero;
        var a5 = Vector512<float>.Zero;
        var a6 = Vector512<float>.Zero;
        var a7 = Vector512<float>.Zero;
        ref var x0 = ref MemoryMarshal.GetArrayDataReference(x);
        for (var k = 0; k < columns.Length; k++)
        {
            // Bounds: the caller's CSR columns are node indexes below NodeCount, and x holds NodeCount rows.
            var start = (nuint)((long)columns[k] * dimension + offset);
            if ((long)start + WideChunk > x.Length) throw new IndexOutOfRangeException("A column lies outside the dense matrix.");
            var w = Vector512.Create(values[k]);
            a0 += Vector512.LoadUnsafe(ref x0, start) * w;
            a1 += Vector512.LoadUnsafe(ref x0, start + WideLanes) * w;
            a2 += Vector512.LoadUnsafe(ref x0, start + 2 * WideLanes) * w;
            a3 += Vector512.LoadUnsafe(ref x0, start + 3 * WideLanes) * w;
            a4 += Vector512.LoadUnsafe(ref x0, start + 4 * WideLanes) * w;
            a5 += Vector512.LoadUnsafe(ref x0, start + 5 * WideLanes) * w;
            a6 += Vector512.LoadUnsafe(ref x0, start + 6 * WideLanes) * w;
            a7 += Vector512.LoadUnsafe(ref x0, start + 7 * WideLanes) * w;
        }
        a0.CopyTo(y);
        a1.CopyTo(y[WideLanes..]);
        a2.CopyTo(y[(2 * WideLanes)..]);
        a3.CopyTo(y[(3 * WideLanes)..]);
        a4.CopyTo(y[(4 * WideLanes)..]);
        a5.CopyTo(y[(5 * WideLanes)..]);
        a6.CopyTo(y[(6 * WideLanes)..]);
        a7.CopyTo(y[(7 * WideLanes)..]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyChunk(ReadOnlySpan<int> columns, ReadOnlySpan<float> values, float[] x, Span<float> y, int dimension, int offset)
    {
        var a0 = Vector256<float>.Zero;
        var a1 = Vector256<float>.Zero;
        var a2 = Vector256<float>.Zero;
        var a3 = Vector256<float>.Zero;
        var a4 = Vector256<float>.Zero;
        var a5 = Vector256<float>.Zero;
        var a6 = Vector256<float>.Zero;
        var a7 = Vector256<float>.Zero;
        ref var x0 = ref MemoryMarshal.GetArrayDataReference(x);
        for (var k = 0; k < columns.Length; k++)
        {
            // Bounds: the caller's CSR columns are node indexes below NodeCount, and x holds NodeCount rows.
            var start = (nuint)((long)columns[k] * dimension + offset);
            if ((long)start + Chunk > x.Length) throw new IndexOutOfRangeException("A column lies outside the dense matrix.");
            var w = Vector256.Create(values[k]);
            a0 += Vector256.LoadUnsafe(ref x0, start) * w;
            a1 += Vector256.LoadUnsafe(ref x0, start + Lanes) * w;
            a2 += Vector256.LoadUnsafe(ref x0, start + 2 * Lanes) * w;
            a3 += Vector256.LoadUnsafe(ref x0, start + 3 * Lanes) * w;
            a4 += Vector256.LoadUnsafe(ref x0, start + 4 * Lanes) * w;
            a5 += Vector256.LoadUnsafe(ref x0, start + 5 * Lanes) * w;
            a6 += Vector256.LoadUnsafe(ref x0, start + 6 * Lanes) * w;
            a7 += Vector256.LoadUnsafe(ref x0, start + 7 * Lanes) * w;
        }
        a0.CopyTo(y);
        a1.CopyTo(y[Lanes..]);
        a2.CopyTo(y[(2 * Lanes)..]);
        a3.CopyTo(y[(3 * Lanes)..]);
        a4.CopyTo(y[(4 * Lanes)..]);
        a5.CopyTo(y[(5 * Lanes)..]);
        a6.CopyTo(y[(6 * Lanes)..]);
        a7.CopyTo(y[(7 * Lanes)..]);
    }
}
