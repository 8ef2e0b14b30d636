using MathNet.Numerics.LinearAlgebra;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.UnitTests.Training;

/// <summary>GF-CF's numerical parts against dense references: the blocked products and the randomized SVD.</summary>
public class ItemSpectrumTests
{
    private static readonly ParallelOptions TwoThreads = new() { MaxDegreeOfParallelism = 2 };

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(5, 3, 9)]
    [InlineData(67, 131, 45)]
    [InlineData(130, 300, 600)]
    public void BlockedProductsEqualTheTextbookLoops(int n, int k, int m)
    {
        var random = new Random(n * 31 + k);
        var a = Enumerable.Range(0, n * k).Select(_ => random.NextDouble() - 0.5).ToArray();
        var b = Enumerable.Range(0, k * m).Select(_ => random.NextDouble() - 0.5).ToArray();
        var c = Enumerable.Repeat(99.0, n * m).ToArray();
        DenseKernels.Multiply(a, b, c, n, k, m, TwoThreads);
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < m; j++)
            {
                var expected = 0.0;
                for (var p = 0; p < k; p++) expected += a[i * k + p] * b[p * m + j];
                Assert.Equal(expected, c[i * m + j], 1e-12);
            }
        }

        // Aᵀ·B with A [n×k] and B' [n×m].
        var b2 = Enumerable.Range(0, n * m).Select(_ => random.NextDouble() - 0.5).ToArray();
        var g = Enumerable.Repeat(99.0, k * m).ToArray();
        DenseKernels.TransposeMultiply(a, b2, g, n, k, m, TwoThreads);
        for (var p = 0; p < k; p++)
        {
            for (var j = 0; j < m; j++)
            {
                var expected = 0.0;
                for (var i = 0; i < n; i++) expected += a[i * k + p] * b2[i * m + j];
                Assert.Equal(expected, g[p * m + j], 1e-12);
            }
        }
    }

    [Fact]
    public void AFullWidthBlockGivesTheExactSpectrum()
    {
        var matrix = RandomMatrix(users: 23, items: 31, density: 0.25, seed: 3);
        var (values, vectors) = DenseReference(matrix);
        var spectrum = ItemSpectrum.Compute(new NormalizedRatingMatrix(matrix), rank: 23, oversampling: 0, powerIterations: 1, seed: 1, TwoThreads);

        Assert.Equal(23, spectrum.Rank);
        for (var j = 0; j < spectrum.Rank; j++) Assert.Equal(values[j], spectrum.Values[j], 1e-10);
        // The top singular value of a degree-normalised matrix is 1.
        Assert.Equal(1.0, spectrum.Values[0], 1e-10);
        AssertSameSubspace(vectors, spectrum, rank: 12);
    }

    [Fact]
    public void ATruncatedRandomizedSvdFindsTheLeadingSubspace()
    {
        // Three planted communities, plus noise: a clear gap after the third singular value.
        var random = new Random(9);
        var interactions = new List<Interaction>();
        for (var u = 0; u < 90; u++)
        {
            for (var i = 0; i < 120; i++)
            {
                var together = u % 3 == i % 3;
                if (random.NextDouble() < (together ? 0.5 : 0.03)) interactions.Add(new Interaction(u, i, 1f, 0));
            }
        }
        var matrix = InteractionMatrix.Build(90, 120, interactions);
        var (values, vectors) = DenseReference(matrix);
        var spectrum = ItemSpectrum.Compute(new NormalizedRatingMatrix(matrix), rank: 3, oversampling: 10, powerIterations: 4, seed: 2, TwoThreads);

        Assert.Equal(3, spectrum.Rank);
        for (var j = 0; j < 3; j++) Assert.Equal(values[j], spectrum.Values[j], 1e-8);
        // Vectors converge as (λ₁₄ / λ₃)^(iterations + 1), eigenvalues as its square: they are held to tighter bounds.
        AssertSameSubspace(vectors, spectrum, rank: 3, tolerance: 1e-4);
    }

    [Fact]
    public void TheSpectrumDoesNotDependOnTheThreadCount()
    {
        var matrix = new NormalizedRatingMatrix(RandomMatrix(users: 150, items: 220, density: 0.05, seed: 4));
        var one = ItemSpectrum.Compute(matrix, 40, 8, 2, 5, new ParallelOptions { MaxDegreeOfParallelism = 1 });
        var two = ItemSpectrum.Compute(matrix, 40, 8, 2, 5, new ParallelOptions { MaxDegreeOfParallelism = 2 });
        Assert.Equal(one.Values, two.Values);
        Assert.Equal(one.Vectors, two.Vectors);
    }

    internal static InteractionMatrix RandomMatrix(int users, int items, double density, int seed)
    {
        var random = new Random(seed);
        var interactions = new List<Interaction>();
        for (var u = 0; u < users; u++)
        {
            // Every user and item gets at least one interaction, so no degree is zero.
            interactions.Add(new Interaction(u, u % items, 1f, 0));
            for (var i = 0; i < items; i++)
            {
                if (random.NextDouble() < density) interactions.Add(new Interaction(u, i, 1f, 0));
            }
        }
        for (var i = 0; i < items; i++) interactions.Add(new Interaction(i % users, i, 1f, 0));
        return InteractionMatrix.Build(users, items, interactions);
    }

    /// <summary>R̃ᵀR̃ built densely from its definition and decomposed by a plain dense eigensolver.</summary>
    internal static (double[] Values, Matrix<double> Vectors) DenseReference(InteractionMatrix matrix)
    {
        var r = Matrix<double>.Build.Dense(matrix.UserCount, matrix.ItemCount);
        for (var u = 0; u < matrix.UserCount; u++)
        {
            foreach (var i in matrix.ItemsOf(u)) r[u, i] = 1 / Math.Sqrt((double)matrix.UserDegree(u) * matrix.ItemDegree(i));
        }
        var evd = (r.Transpose() * r).Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, matrix.ItemCount).OrderByDescending(j => evd.EigenValues[j].Real).ToArray();
        var values = order.Select(j => evd.EigenValues[j].Real).ToArray();
        var vectors = Matrix<double>.Build.Dense(matrix.ItemCount, matrix.ItemCount, (i, c) => evd.EigenVectors[i, order[c]]);
        return (values, vectors);
    }

    // Compares projectors V Vᵀ, which do not depend on the signs (or rotation within a repeated value) of the vectors.
    private static void AssertSameSubspace(Matrix<double> expected, ItemSpectrum actual, int rank, double tolerance = 1e-8)
    {
        var items = actual.ItemCount;
        var reference = expected.SubMatrix(0, items, 0, rank);
        var computed = Matrix<double>.Build.Dense(items, rank, (i, j) => actual.Vectors[i * actual.Rank + j]);
        var difference = reference * reference.Transpose() - computed * computed.Transpose();
        Assert.True(difference.FrobeniusNorm() < tolerance, $"Projectors differ by {difference.FrobeniusNorm():E2}.");
    }
}
