using System.Numerics.Tensors;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>Dense work on the small (block width × block width) matrices of the randomized SVD, row-major.</summary>
internal static class SmallDense
{
    /// <summary>
    /// For a symmetric positive-definite G = LLᵀ, returns L^-T (upper triangular, row-major), so that Y·L^-T has
    /// orthonormal columns when G = YᵀY. Returns null when G is not safely positive definite: a pivot that is not
    /// positive, or a squared pivot ratio below <paramref name="minimumRelativePivot"/> (columns that are numerically
    /// dependent, where Cholesky QR would lose orthogonality).
    /// </summary>
    public static double[]? InverseCholeskyTranspose(double[] gram, int n, double minimumRelativePivot)
    {
        var l = new double[n * n];
        var largest = 0.0;
        for (var j = 0; j < n; j++) largest = Math.Max(largest, gram[j * n + j]);
        if (!(largest > 0) || !double.IsFinite(largest)) return null;
        for (var i = 0; i < n; i++)
        {
            var row = l.AsSpan(i * n, n);
            for (var j = 0; j <= i; j++)
            {
                var sum = gram[i * n + j] - TensorPrimitives.Dot<double>(row[..j], l.AsSpan(j * n, j));
                if (j < i)
                {
                    row[j] = sum / l[j * n + j];
                    continue;
                }
                // The pivot is the part of column i's squared length that the earlier columns do not explain.
                if (!(sum > minimumRelativePivot * largest)) return null;
                row[i] = Math.Sqrt(sum);
            }
        }

        // X = L^-1 row by row: X[i] = (e_i − Σ_{p<i} L[i,p]·X[p]) / L[i,i]; then transpose.
        var x = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            var target = x.AsSpan(i * n, i + 1);
            for (var p = 0; p < i; p++)
            {
                var coefficient = l[i * n + p];
                if (coefficient != 0) TensorPrimitives.MultiplyAdd(x.AsSpan(p * n, i + 1), -coefficient, target, target);
            }
            target[i] += 1;
            TensorPrimitives.Multiply(target, 1 / l[i * n + i], target);
        }
        var transposed = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++) transposed[j * n + i] = x[i * n + j];
        }
        return transposed;
    }
}
