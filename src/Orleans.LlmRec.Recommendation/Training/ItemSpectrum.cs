using MathNet.Numerics.LinearAlgebra;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// The leading eigenpairs of the item–item matrix R̃ᵀR̃, i.e. the right singular vectors V and squared singular
/// values σ² of R̃, largest first. <see cref="Vectors"/> is row-major [ItemCount, Rank]: row i holds item i's
/// coordinates on the first <see cref="Rank"/> singular directions.
/// </summary>
internal sealed record ItemSpectrum(double[] Vectors, double[] Values, int ItemCount, int Rank)
{
    /// <summary>
    /// A randomized SVD (Halko, Martinsson and Tropp 2011, subspace iteration with a Rayleigh–Ritz step) run in item
    /// space: a Gaussian block of <c>rank + oversampling</c> columns is multiplied by R̃ᵀR̃ (two sparse products) and
    /// re-orthonormalised <c>powerIterations + 1</c> times, then R̃ᵀR̃ is solved exactly inside the block. When the
    /// block is as wide as the smaller side of R̃ it spans R̃'s whole row space and the result is exact.
    /// Orthonormalisation is by the block's Gram matrix (Cholesky QR, or an eigensolve of the Gram matrix when it is
    /// too ill-conditioned): two dense products and small dense work, where Householder QR of a tall block would be
    /// sequential column by column; directions the Gram matrix cannot resolve are dropped (set to zero), which is what
    /// makes a rank-deficient R̃ safe.
    /// </summary>
    public static ItemSpectrum Compute(
        NormalizedRatingMatrix matrix, int rank, int oversampling, int powerIterations, int seed, ParallelOptions parallel,
        Action<int, int>? onIteration = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rank, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(oversampling);
        ArgumentOutOfRangeException.ThrowIfNegative(powerIterations);
        var items = matrix.ItemCount;
        var width = Math.Min(rank + oversampling, Math.Min(items, matrix.UserCount));
        rank = Math.Min(rank, width);
        if (width == 0) return new ItemSpectrum([], [], items, 0);

        var x = new double[(long)items * width];
        var y = new double[x.Length];
        var z = new double[(long)matrix.UserCount * width];
        var random = SplitMixRandom.ForStream(seed, -7, -7);
        for (var k = 0; k < x.Length; k++) x[k] = random.NextGaussian();

        for (var iteration = 0; iteration <= powerIterations; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            matrix.MultiplyItems(x, z, width, parallel);
            matrix.MultiplyUsers(z, y, width, parallel);
            Orthonormalize(y, x, items, width, parallel);
            onIteration?.Invoke(iteration + 1, powerIterations + 1);
        }
        // A second pass restores the orthogonality the first loses to the Gram matrix's squared condition number.
        Orthonormalize(x, y, items, width, parallel);
        (x, y) = (y, x);

        // Rayleigh–Ritz: T = Qᵀ R̃ᵀR̃ Q = (R̃Q)ᵀ(R̃Q), and its eigenvectors rotate Q onto the Ritz vectors.
        matrix.MultiplyItems(x, z, width, parallel);
        var t = new double[width * width];
        DenseKernels.TransposeMultiply(z, z, t, matrix.UserCount, width, width, parallel);
        var (values, vectors) = SymmetricEigen(t, width);
        var rotation = new double[width * rank];
        var top = new double[rank];
        for (var j = 0; j < rank; j++)
        {
            top[j] = Math.Max(0, values[j]);
            for (var a = 0; a < width; a++) rotation[a * rank + j] = vectors[a * width + j];
        }
        var result = new double[(long)items * rank];
        DenseKernels.Multiply(x, rotation, result, items, width, rank, parallel);
        return new ItemSpectrum(result, top, items, rank);
    }

    // target = source with orthonormal columns spanning the same space. Cholesky QR (G = sourceᵀsource = LLᵀ,
    // target = source·L^-T) costs a small fraction of an eigensolve of G; when G is too ill-conditioned for it (a
    // block wider than R̃'s numerical rank), the eigendecomposition G = WΛWᵀ gives target = source·W·Λ^-1/2 with the
    // unresolvable directions set to zero.
    private static void Orthonormalize(double[] source, double[] target, int rows, int width, ParallelOptions parallel)
    {
        var gram = new double[width * width];
        DenseKernels.TransposeMultiply(source, source, gram, rows, width, width, parallel);
        var scaling = SmallDense.InverseCholeskyTranspose(gram, width, CholeskyMinimumPivot) ?? EigenScaling(gram, width);
        DenseKernels.Multiply(source, scaling, target, rows, width, width, parallel);
    }

    // Directions below this share of the largest are numerically zero in a Gram matrix (σ² < 1e-12·σ²max).
    private const double MinimumRelativeEigenvalue = 1e-12;

    // Cholesky QR hands over to the eigensolve a little before that limit, where its orthogonality would suffer.
    private const double CholeskyMinimumPivot = 1e-10;

    private static double[] EigenScaling(double[] gram, int width)
    {
        var (values, vectors) = SymmetricEigen(gram, width);
        var floor = Math.Max(values[0], 0) * MinimumRelativeEigenvalue;
        var scaling = new double[width * width];
        for (var j = 0; j < width; j++)
        {
            if (!(values[j] > floor) || values[j] <= 0) continue;
            var inverse = 1 / Math.Sqrt(values[j]);
            for (var a = 0; a < width; a++) scaling[a * width + j] = vectors[a * width + j] * inverse;
        }
        return scaling;
    }

    /// <summary>Eigenvalues of a symmetric row-major matrix, largest first, with their eigenvectors as columns (row-major).</summary>
    internal static (double[] Values, double[] Vectors) SymmetricEigen(double[] symmetric, int n)
    {
        var matrix = Matrix<double>.Build.Dense(n, n, (i, j) => 0.5 * (symmetric[i * n + j] + symmetric[j * n + i]));
        var evd = matrix.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, n).OrderByDescending(j => evd.EigenValues[j].Real).ThenBy(j => j).ToArray();
        var values = new double[n];
        var vectors = new double[n * n];
        var eigenvectors = evd.EigenVectors;
        for (var c = 0; c < n; c++)
        {
            var j = order[c];
            values[c] = evd.EigenValues[j].Real;
            for (var a = 0; a < n; a++) vectors[a * n + c] = eigenvectors[a, j];
        }
        return (values, vectors);
    }
}
