using System.Numerics.Tensors;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// Adds per-sample gradient vectors ("slots") into the rows they belong to, deterministically and in parallel.
/// Slots are grouped by target row with a sort on (row, slot), so each worker owns whole rows and sums a row's slots
/// in slot order: the result is bit-identical whatever the thread count or timing, with no locks and no races.
/// </summary>
internal sealed class RowGradientScatter
{
    private const int GroupsPerTask = 32;
    private long[] _keys = [];
    private int[] _groupStarts = [];
    private int _slotCount;
    private int _groupCount;

    /// <summary>Distinct rows touched by the last <see cref="Group"/>, ascending.</summary>
    public int GroupCount => _groupCount;

    public int RowOfGroup(int group) => (int)(_keys[_groupStarts[group]] >> 32);

    /// <summary>How many slots target the group's row.</summary>
    public int SlotCountOfGroup(int group) => _groupStarts[group + 1] - _groupStarts[group];

    /// <summary>Groups slot s (0..rows.Length-1) under row rows[s].</summary>
    public void Group(ReadOnlySpan<int> rows)
    {
        _slotCount = rows.Length;
        if (_keys.Length < rows.Length)
        {
            _keys = new long[rows.Length];
            _groupStarts = new int[rows.Length + 1];
        }
        for (var s = 0; s < rows.Length; s++) _keys[s] = ((long)rows[s] << 32) | (uint)s;
        Array.Sort(_keys, 0, rows.Length);
        _groupCount = 0;
        for (var s = 0; s < rows.Length; s++)
        {
            if (s == 0 || (_keys[s] >> 32) != (_keys[s - 1] >> 32)) _groupStarts[_groupCount++] = s;
        }
        _groupStarts[_groupCount] = rows.Length;
    }

    /// <summary>target[row] += scale · Σ slots[s] over the row's slots, in slot order.</summary>
    public void AddInto(float[] slots, float[] target, int dimension, float scale, ParallelOptions parallel)
    {
        if (_slotCount == 0) return;
        var tasks = (_groupCount + GroupsPerTask - 1) / GroupsPerTask;
        Parallel.For(0, tasks, parallel, task =>
        {
            var end = Math.Min(_groupCount, (task + 1) * GroupsPerTask);
            for (var g = task * GroupsPerTask; g < end; g++)
            {
                var row = target.AsSpan(RowOfGroup(g) * dimension, dimension);
                for (var k = _groupStarts[g]; k < _groupStarts[g + 1]; k++)
                {
                    var slot = (int)(uint)_keys[k];
                    TensorPrimitives.MultiplyAdd(slots.AsSpan(slot * dimension, dimension), scale, row, row);
                }
            }
        });
    }

    /// <summary>target[row] += scale · (number of slots on the row) · source[row], for every grouped row.</summary>
    public void AddCountScaledRows(float[] source, float[] target, int dimension, float scale, ParallelOptions parallel)
    {
        if (_slotCount == 0) return;
        var tasks = (_groupCount + GroupsPerTask - 1) / GroupsPerTask;
        Parallel.For(0, tasks, parallel, task =>
        {
            var end = Math.Min(_groupCount, (task + 1) * GroupsPerTask);
            for (var g = task * GroupsPerTask; g < end; g++)
            {
                var offset = RowOfGroup(g) * dimension;
                var row = target.AsSpan(offset, dimension);
                TensorPrimitives.MultiplyAdd(source.AsSpan(offset, dimension), scale * SlotCountOfGroup(g), row, row);
            }
        });
    }
}
