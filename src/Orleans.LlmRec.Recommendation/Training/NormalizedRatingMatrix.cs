using System.Numerics.Tensors;
using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// R̃ = D_U^-1/2 · R · D_I^-1/2, the degree-normalised binary user × item matrix that GF-CF filters (every stored pair
/// is a 1 before normalising, whatever its rating: the graph models learn from who interacted). The weights are kept
/// in both of <see cref="InteractionMatrix"/>'s layouts, so R̃·X runs over user rows and R̃ᵀ·Z over item columns,
/// each output row summed in a fixed order by one thread: deterministic, no atomics, nothing allocated per edge.
/// </summary>
internal sealed class NormalizedRatingMatrix
{
    private const int RowsPerTask = 32;

    private readonly InteractionMatrix _matrix;
    private readonly double[] _userWeights;
    private readonly double[] _itemWeights;

    public NormalizedRatingMatrix(InteractionMatrix matrix)
    {
        _matrix = matrix;
        _userWeights = new double[matrix.NonZeroCount];
        _itemWeights = new double[matrix.NonZeroCount];
        for (var u = 0; u < matrix.UserCount; u++)
        {
            var items = matrix.ItemsOf(u);
            var offset = matrix.UserOffsets[u];
            for (var k = 0; k < items.Length; k++) _userWeights[offset + k] = Weight(u, items[k]);
        }
        for (var i = 0; i < matrix.ItemCount; i++)
        {
            var users = matrix.UsersOf(i);
            var offset = matrix.ItemOffsets[i];
            for (var k = 0; k < users.Length; k++) _itemWeights[offset + k] = Weight(users[k], i);
        }
    }

    public int UserCount => _matrix.UserCount;
    public int ItemCount => _matrix.ItemCount;

    /// <summary>R̃[u, i] for a stored pair.</summary>
    public double Weight(int user, int item) => 1.0 / Math.Sqrt((double)_matrix.UserDegree(user) * _matrix.ItemDegree(item));

    /// <summary>Z[users×width] = R̃ · X[items×width] (row-major).</summary>
    public void MultiplyItems(double[] x, double[] z, int width, ParallelOptions parallel) =>
        Gather(_matrix.UserOffsets, _matrix.UserItems, _userWeights, UserCount, x, z, width, parallel);

    /// <summary>Y[items×width] = R̃ᵀ · Z[users×width] (row-major).</summary>
    public void MultiplyUsers(double[] z, double[] y, int width, ParallelOptions parallel) =>
        Gather(_matrix.ItemOffsets, _matrix.ItemUsers, _itemWeights, ItemCount, z, y, width, parallel);

    private static void Gather(int[] offsets, int[] neighbours, double[] weights, int rows, double[] source, double[] target, int width, ParallelOptions parallel)
    {
        var tasks = (rows + RowsPerTask - 1) / RowsPerTask;
        Parallel.For(0, tasks, parallel, task =>
        {
            var end = Math.Min(rows, (task + 1) * RowsPerTask);
            for (var row = task * RowsPerTask; row < end; row++)
            {
                var output = target.AsSpan(row * width, width);
                output.Clear();
                for (var k = offsets[row]; k < offsets[row + 1]; k++)
                {
                    TensorPrimitives.MultiplyAdd(source.AsSpan(neighbours[k] * width, width), weights[k], output, output);
                }
            }
        });
    }
}
