namespace Orleans.LlmRec.Recommendation.FoldIn;

/// <summary>Small dense linear algebra for fold-in: d is at most a few hundred, so a Cholesky solve is microseconds.</summary>
internal static class DenseSolver
{
    /// <summary>
    /// Solves A x = b for a symmetric positive-definite A (row-major n×n, overwritten by its Cholesky factor);
    /// b is overwritten by x.
    /// </summary>
    public static void SolveSymmetricPositiveDefinite(Span<double> a, Span<double> b, int n)
    {
        for (var j = 0; j < n; j++)
        {
            var diagonal = a[j * n + j];
            for (var k = 0; k < j; k++) diagonal -= a[j * n + k] * a[j * n + k];
            if (diagonal <= 0)
            {
                throw new ArithmeticException("Fold-in system is not positive definite (regularisation must be positive).");
            }
            var l = Math.Sqrt(diagonal);
            a[j * n + j] = l;
            for (var i = j + 1; i < n; i++)
            {
                var sum = a[i * n + j];
                for (var k = 0; k < j; k++) sum -= a[i * n + k] * a[j * n + k];
                a[i * n + j] = sum / l;
            }
        }
        for (var i = 0; i < n; i++)
        {
            var sum = b[i];
            for (var k = 0; k < i; k++) sum -= a[i * n + k] * b[k];
            b[i] = sum / a[i * n + i];
        }
        for (var i = n - 1; i >= 0; i--)
        {
            var sum = b[i];
            for (var k = i + 1; k < n; k++) sum -= a[k * n + i] * b[k];
            b[i] = sum / a[i * n + i];
        }
    }
}
