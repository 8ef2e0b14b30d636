using MathNet.Numerics.LinearAlgebra;

namespace Orleans.LlmRec.Recommendation.ColdStart;

/// <summary>
/// Multi-output ridge regression in closed form, with an unpenalised intercept: for inputs X (n × p) and targets
/// Y (n × q), W = (XᵀX + λ·I′)⁻¹ XᵀY over X with a column of ones appended, I′ the identity without the intercept's
/// entry. The (p+1)² system is solved once by Cholesky for all q outputs, so fitting 384 text dimensions to a
/// 64-dimensional item space costs one 385 × 385 factorisation after the Gram matrix.
/// </summary>
public static class RidgeRegression
{
    /// <summary>Weights [(p+1) × q], row-major; row p is the intercept.</summary>
    public static float[] Fit(IReadOnlyList<float[]> inputs, IReadOnlyList<float[]> targets, double lambda)
    {
        var (gram, cross) = Moments(inputs, targets, Enumerable.Range(0, inputs.Count));
        return Solve(gram, cross, lambda);
    }

    /// <summary>
    /// Chooses λ from <paramref name="candidates"/> by the squared error on a held-out fifth of the rows (every fifth
    /// row, so the choice is deterministic), then fits on all rows with it.
    /// </summary>
    public static (float[] Weights, double Lambda, double ValidationError) FitWithValidation(IReadOnlyList<float[]> inputs, IReadOnlyList<float[]> targets, IReadOnlyList<double> candidates)
    {
        ArgumentOutOfRangeException.ThrowIfZero(candidates.Count);
        var n = inputs.Count;
        var train = Enumerable.Range(0, n).Where(i => i % 5 != 4).ToArray();
        var valid = Enumerable.Range(0, n).Where(i => i % 5 == 4).ToArray();
        var best = (Lambda: candidates[0], Error: double.PositiveInfinity);
        if (valid.Length > 0 && train.Length > 0)
        {
            var (gram, cross) = Moments(inputs, targets, train);
            foreach (var lambda in candidates)
            {
                var weights = Solve(gram, cross, lambda);
                var error = valid.Average(i => SquaredError(weights, inputs[i], targets[i]));
                if (error < best.Error) best = (lambda, error);
            }
        }
        return (Fit(inputs, targets, best.Lambda), best.Lambda, best.Error);
    }

    /// <summary>x·W for one input (with the intercept), into <paramref name="output"/> of length q.</summary>
    public static void Predict(ReadOnlySpan<float> weights, ReadOnlySpan<float> input, Span<float> output)
    {
        var q = output.Length;
        var p = input.Length;
        if (weights.Length != (p + 1) * q) throw new ArgumentException($"Weights hold {weights.Length} floats, expected ({p} + 1) × {q}.", nameof(weights));
        weights.Slice(p * q, q).CopyTo(output);
        for (var j = 0; j < p; j++)
        {
            var x = input[j];
            if (x == 0) continue;
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(weights.Slice(j * q, q), x, output, output);
        }
    }

    private static double SquaredError(float[] weights, float[] input, float[] target)
    {
        var predicted = new float[target.Length];
        Predict(weights, input, predicted);
        var sum = 0.0;
        for (var k = 0; k < target.Length; k++) sum += (predicted[k] - target[k]) * (double)(predicted[k] - target[k]);
        return sum;
    }

    private static (Matrix<double> Gram, Matrix<double> Cross) Moments(IReadOnlyList<float[]> inputs, IReadOnlyList<float[]> targets, IEnumerable<int> rows)
    {
        if (inputs.Count != targets.Count) throw new ArgumentException($"{inputs.Count} inputs but {targets.Count} targets.", nameof(targets));
        if (inputs.Count == 0) throw new ArgumentException("Nothing to fit.", nameof(inputs));
        var p = inputs[0].Length;
        var q = targets[0].Length;
        var selected = rows.ToArray();
        var x = Matrix<double>.Build.Dense(selected.Length, p + 1);
        var y = Matrix<double>.Build.Dense(selected.Length, q);
        for (var r = 0; r < selected.Length; r++)
        {
            var input = inputs[selected[r]];
            var target = targets[selected[r]];
            if (input.Length != p || target.Length != q) throw new ArgumentException($"Row {selected[r]} has {input.Length} inputs and {target.Length} targets, expected {p} and {q}.");
            for (var j = 0; j < p; j++) x[r, j] = input[j];
            x[r, p] = 1;
            for (var k = 0; k < q; k++) y[r, k] = target[k];
        }
        return (x.TransposeThisAndMultiply(x), x.TransposeThisAndMultiply(y));
    }

    private static float[] Solve(Matrix<double> gram, Matrix<double> cross, double lambda)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lambda);
        var p = gram.RowCount - 1;
        var system = gram.Clone();
        // A tiny ridge on the intercept too keeps the system positive definite when λ = 0 and inputs are collinear.
        for (var j = 0; j < p; j++) system[j, j] += lambda;
        system[p, p] += 1e-9;
        var solution = system.Cholesky().Solve(cross);
        var q = cross.ColumnCount;
        var weights = new float[(p + 1) * q];
        for (var j = 0; j <= p; j++)
        {
            for (var k = 0; k < q; k++) weights[j * q + k] = (float)solution[j, k];
        }
        return weights;
    }
}
