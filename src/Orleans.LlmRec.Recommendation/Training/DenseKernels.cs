using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// Dense double-precision products over row-major matrices, for the tall-and-skinny work of a randomized SVD
/// (tens of thousands of rows, up to a few thousand columns). A 4×8 register tile over cache blocks of the inner
/// dimension: a naive row-by-row loop re-reads the whole right-hand matrix from memory for every row and is
/// memory-bound. Work is split into fixed blocks of output rows, and every output element is summed in the same
/// inner-index order, so results do not depend on the thread count or scheduling.
/// </summary>
internal static class DenseKernels
{
    private const int RowBlock = 64;
    private const int InnerBlock = 128;
    private const int ColumnBlock = 512;

    /// <summary>C[n×m] = A[n×k]·B[k×m], all row-major and packed (leading dimension = column count).</summary>
    public static void Multiply(double[] a, double[] b, double[] c, int n, int k, int m, ParallelOptions parallel)
    {
        Check(a, (long)n * k, nameof(a));
        Check(b, (long)k * m, nameof(b));
        Check(c, (long)n * m, nameof(c));
        var tasks = (n + RowBlock - 1) / RowBlock;
        Parallel.For(0, tasks, parallel, task =>
        {
            var row0 = task * RowBlock;
            var rows = Math.Min(RowBlock, n - row0);
            c.AsSpan(row0 * m, rows * m).Clear();
            for (var p0 = 0; p0 < k; p0 += InnerBlock)
            {
                var inner = Math.Min(InnerBlock, k - p0);
                for (var j0 = 0; j0 < m; j0 += ColumnBlock)
                {
                    var columns = Math.Min(ColumnBlock, m - j0);
                    MultiplyAddBlock(a.AsSpan(row0 * k + p0), k, b.AsSpan(p0 * m + j0), m, c.AsSpan(row0 * m + j0), m, rows, inner, columns);
                }
            }
        });
    }

    /// <summary>C[k×m] = Aᵀ·B for A[n×k] and B[n×m] (row-major, packed): a Gram matrix when A and B are the same.</summary>
    public static void TransposeMultiply(double[] a, double[] b, double[] c, int n, int k, int m, ParallelOptions parallel)
    {
        Check(a, (long)n * k, nameof(a));
        Check(b, (long)n * m, nameof(b));
        Check(c, (long)k * m, nameof(c));
        var tasks = (k + RowBlock - 1) / RowBlock;
        Parallel.For(0, tasks, parallel, () => new double[RowBlock * InnerBlock], (task, _, packed) =>
        {
            var row0 = task * RowBlock;
            var rows = Math.Min(RowBlock, k - row0);
            c.AsSpan(row0 * m, rows * m).Clear();
            for (var p0 = 0; p0 < n; p0 += InnerBlock)
            {
                var inner = Math.Min(InnerBlock, n - p0);
                // Pack this block of Aᵀ (rows of C × the inner block) so the tile kernel reads it row by row.
                for (var r = 0; r < rows; r++)
                {
                    for (var p = 0; p < inner; p++) packed[r * inner + p] = a[(long)(p0 + p) * k + row0 + r];
                }
                for (var j0 = 0; j0 < m; j0 += ColumnBlock)
                {
                    var columns = Math.Min(ColumnBlock, m - j0);
                    MultiplyAddBlock(packed, inner, b.AsSpan(p0 * m + j0), m, c.AsSpan(row0 * m + j0), m, rows, inner, columns);
                }
            }
            return packed;
        }, _ => { });
    }

    // C[rows×columns] += A[rows×inner]·B[inner×columns] with leading dimensions lda, ldb, ldc.
    private static void MultiplyAddBlock(ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, Span<double> c, int ldc, int rows, int inner, int columns)
    {
        var r = 0;
        for (; r + 4 <= rows; r += 4)
        {
            var j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                for (; j + 8 <= columns; j += 8) Tile4x8(a[(r * lda)..], lda, b[j..], ldb, c[(r * ldc + j)..], ldc, inner);
            }
            for (; j < columns; j++)
            {
                for (var q = 0; q < 4; q++) c[(r + q) * ldc + j] += Dot(a.Slice((r + q) * lda, inner), b[j..], ldb);
            }
        }
        for (; r < rows; r++)
        {
            var target = c.Slice(r * ldc, columns);
            for (var p = 0; p < inner; p++)
            {
                var scale = a[r * lda + p];
                if (scale == 0) continue;
                var source = b.Slice(p * ldb, columns);
                TensorPrimitives.MultiplyAdd(source, scale, target, target);
            }
        }
    }

    private static double Dot(ReadOnlySpan<double> row, ReadOnlySpan<double> column, int stride)
    {
        var sum = 0.0;
        for (var p = 0; p < row.Length; p++) sum += row[p] * column[p * stride];
        return sum;
    }

    // Four rows of C, eight columns, kept in registers across the whole inner block.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4x8(ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, Span<double> c, int ldc, int inner)
    {
        ref var a0 = ref MemoryMarshal.GetReference(a);
        ref var b0 = ref MemoryMarshal.GetReference(b);
        ref var c0 = ref MemoryMarshal.GetReference(c);
        var s1 = (nuint)ldc;
        var c00 = Vector256.LoadUnsafe(ref c0);
        var c01 = Vector256.LoadUnsafe(ref c0, 4);
        var c10 = Vector256.LoadUnsafe(ref c0, s1);
        var c11 = Vector256.LoadUnsafe(ref c0, s1 + 4);
        var c20 = Vector256.LoadUnsafe(ref c0, 2 * s1);
        var c21 = Vector256.LoadUnsafe(ref c0, 2 * s1 + 4);
        var c30 = Vector256.LoadUnsafe(ref c0, 3 * s1);
        var c31 = Vector256.LoadUnsafe(ref c0, 3 * s1 + 4);
        var la = (nuint)lda;
        for (nuint p = 0; p < (nuint)inner; p++)
        {
            var row = p * (nuint)ldb;
            var v0 = Vector256.LoadUnsafe(ref b0, row);
            var v1 = Vector256.LoadUnsafe(ref b0, row + 4);
            var x0 = Vector256.Create(Unsafe.Add(ref a0, p));
            var x1 = Vector256.Create(Unsafe.Add(ref a0, la + p));
            var x2 = Vector256.Create(Unsafe.Add(ref a0, 2 * la + p));
            var x3 = Vector256.Create(Unsafe.Add(ref a0, 3 * la + p));
            c00 = Vector256.FusedMultiplyAdd(x0, v0, c00);
            c01 = Vector256.FusedMultiplyAdd(x0, v1, c01);
            c10 = Vector256.FusedMultiplyAdd(x1, v0, c10);
            c11 = Vector256.FusedMultiplyAdd(x1, v1, c11);
            c20 = Vector256.FusedMultiplyAdd(x2, v0, c20);
            c21 = Vector256.FusedMultiplyAdd(x2, v1, c21);
            c30 = Vector256.FusedMultiplyAdd(x3, v0, c30);
            c31 = Vector256.FusedMultiplyAdd(x3, v1, c31);
        }
        c00.StoreUnsafe(ref c0);
        c01.StoreUnsafe(ref c0, 4);
        c10.StoreUnsafe(ref c0, s1);
        c11.StoreUnsafe(ref c0, s1 + 4);
        c20.StoreUnsafe(ref c0, 2 * s1);
        c21.StoreUnsafe(ref c0, 2 * s1 + 4);
        c30.StoreUnsafe(ref c0, 3 * s1);
        c31.StoreUnsafe(ref c0, 3 * s1 + 4);
    }

    private static void Check(double[] array, long length, string name)
    {
        if (array.LongLength < length) throw new ArgumentException($"Expected at least {length} values, got {array.LongLength}.", name);
    }
}
