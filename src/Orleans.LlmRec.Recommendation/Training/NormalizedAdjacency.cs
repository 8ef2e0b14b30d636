using System.Numerics.Tensors;
using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// The symmetric-normalised adjacency Â = D^-1/2 A D^-1/2 of the user–item bipartite graph, as LightGCN
/// propagates over it. Nodes are users 0..U-1 followed by items U..U+I-1; the weight of edge (u, i) is
/// 1 / √(deg(u)·deg(i)). Stored as CSR over all nodes (each edge twice), so y = Âx is a parallel loop over rows in
/// which every row is summed in a fixed neighbour order: deterministic and race-free.
/// </summary>
public sealed class NormalizedAdjacency
{
    private const int RowsPerTask = 64;

    private NormalizedAdjacency(int userCount, int itemCount, int[] rowOffsets, int[] columns, float[] values)
    {
        UserCount = userCount;
        ItemCount = itemCount;
        RowOffsets = rowOffsets;
        Columns = columns;
        Values = values;
    }

    public int UserCount { get; }
    public int ItemCount { get; }
    public int NodeCount => UserCount + ItemCount;

    /// <summary>CSR: the neighbours of node n are Columns[RowOffsets[n]..RowOffsets[n+1]] with weights Values[...].</summary>
    public int[] RowOffsets { get; }
    public int[] Columns { get; }
    public float[] Values { get; }

    /// <summary>The weight Â[row, column], 0 when the nodes are not linked.</summary>
    public float this[int row, int column]
    {
        get
        {
            var start = RowOffsets[row];
            var index = Columns.AsSpan(start, RowOffsets[row + 1] - start).BinarySearch(column);
            return index >= 0 ? Values[start + index] : 0f;
        }
    }

    /// <summary>Builds Â from the training interactions (every stored pair is an edge of weight 1 before normalising).</summary>
    public static NormalizedAdjacency FromInteractions(InteractionMatrix matrix)
    {
        var users = matrix.UserCount;
        var nodes = users + matrix.ItemCount;
        var offsets = new int[nodes + 1];
        for (var u = 0; u < users; u++) offsets[u + 1] = offsets[u] + matrix.UserDegree(u);
        for (var i = 0; i < matrix.ItemCount; i++) offsets[users + i + 1] = offsets[users + i] + matrix.ItemDegree(i);
        var columns = new int[offsets[nodes]];
        var values = new float[offsets[nodes]];
        for (var u = 0; u < users; u++)
        {
            var k = offsets[u];
            foreach (var i in matrix.ItemsOf(u))
            {
                columns[k] = users + i;
                values[k] = (float)(1.0 / Math.Sqrt((double)matrix.UserDegree(u) * matrix.ItemDegree(i)));
                k++;
            }
        }
        for (var i = 0; i < matrix.ItemCount; i++)
        {
            var k = offsets[users + i];
            foreach (var u in matrix.UsersOf(i))
            {
                columns[k] = u;
                values[k] = (float)(1.0 / Math.Sqrt((double)matrix.UserDegree(u) * matrix.ItemDegree(i)));
                k++;
            }
        }
        return new NormalizedAdjacency(users, matrix.ItemCount, offsets, columns, values);
    }

    /// <summary>y = Â·x for row-major [NodeCount, dimension] matrices.</summary>
    public void Multiply(float[] x, float[] y, int dimension, ParallelOptions parallel) =>
        MultiplyAccumulate(x, y, null, dimension, parallel);

    /// <summary>
    /// LightGCN's layer combination: output = (1/(L+1)) Σ_{l=0..L} Â^l·input. Â is symmetric, so the same call maps a
    /// gradient with respect to the output back to the input (the backward pass). <paramref name="scratchA"/> and
    /// <paramref name="scratchB"/> are [NodeCount, dimension] buffers the call may overwrite.
    /// </summary>
    public void PropagateMean(float[] input, float[] output, int dimension, int layers, float[] scratchA, float[] scratchB, ParallelOptions parallel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layers);
        var length = NodeCount * dimension;
        if (input.Length < length || output.Length < length || (layers > 0 && (scratchA.Length < length || scratchB.Length < length)))
        {
            throw new ArgumentException($"Buffers must hold {NodeCount}×{dimension} values.");
        }
        input.AsSpan(0, length).CopyTo(output);
        var current = input;
        for (var layer = 1; layer <= layers; layer++)
        {
            var next = layer % 2 == 1 ? scratchA : scratchB;
            MultiplyAccumulate(current, next, output, dimension, parallel);
            current = next;
        }
        if (layers > 0) TensorPrimitives.Multiply(output.AsSpan(0, length), 1f / (layers + 1), output.AsSpan(0, length));
    }

    // y = Â·x, and when sum is given, sum += y row by row while the row is still in cache.
    private void MultiplyAccumulate(float[] x, float[] y, float[]? sum, int dimension, ParallelOptions parallel)
    {
        var tasks = (NodeCount + RowsPerTask - 1) / RowsPerTask;
        Parallel.For(0, tasks, parallel, task =>
        {
            var end = Math.Min(NodeCount, (task + 1) * RowsPerTask);
            for (var row = task * RowsPerTask; row < end; row++)
            {
                var start = RowOffsets[row];
                var count = RowOffsets[row + 1] - start;
                SparseRowKernel.MultiplyRow(
                    Columns.AsSpan(start, count), Values.AsSpan(start, count), x, y.AsSpan(row * dimension, dimension),
                    sum is null ? default : sum.AsSpan(row * dimension, dimension), dimension);
            }
        });
    }
}
