using System.Numerics.Tensors;

namespace Orleans.LlmRec.Grains.Catalogue;

/// <summary>
/// The vectors and biases of items published after training, in one model's item space (row <c>index - N</c>), as
/// the score stage reads them. Rows are written by the catalogue's applier (one at a time) and moved by clicks;
/// readers take <see cref="Rows"/> once per feed and read it without locks (a row moved mid-read is still a vector).
/// </summary>
public sealed class NewItemVectorTable
{
    /// <summary>
    /// How many clicks weigh as much as the mapped vector: after this many, an item's vector is half its mapped one and
    /// half the (rescaled) mean of its clickers' vectors. Small, so a handful of clicks already moves a cold item.
    /// </summary>
    public const float PriorClicks = 5f;

    private readonly Lock _clicks = new();
    private volatile NewItemRows _rows;
    private float[] _mapped;
    private float[] _clickSums;
    private int[] _clickCounts;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> _sources = new();

    public NewItemVectorTable(string modelVersion, int trainedCount, int dimension)
    {
        ModelVersion = modelVersion;
        TrainedCount = trainedCount;
        Dimension = dimension;
        _rows = new NewItemRows(new float[16 * dimension], new float[16], new DateTimeOffset[16], 0, dimension);
        _mapped = new float[16 * dimension];
        _clickSums = new float[16 * dimension];
        _clickCounts = new int[16];
    }

    public string ModelVersion { get; }
    public int TrainedCount { get; }
    public int Dimension { get; }

    public NewItemRows Rows => _rows;

    /// <summary>How item <paramref name="index"/>'s vector was made when a fallback made it, else null (the placement's own name).</summary>
    public string? SourceOf(int index) => _sources.TryGetValue(index, out var source) ? source : null;

    /// <summary>Sets the row of item <paramref name="index"/> (rows are added in index order).</summary>
    public void Set(int index, NewItemVector vector, DateTimeOffset publishedAt)
    {
        var row = index - TrainedCount;
        var d = Dimension;
        if (vector.Vector.Length != d) throw new ArgumentException($"Expected a vector of {d} values, got {vector.Vector.Length}.", nameof(vector));
        if (vector.Source is { } source) _sources[index] = source;
        else _sources.TryRemove(index, out _);
        lock (_clicks)
        {
            var rows = _rows;
            if (row >= rows.Biases.Length)
            {
                var size = Math.Max(row + 1, rows.Biases.Length * 2);
                var vectors = rows.Vectors;
                var biases = rows.Biases;
                var published = rows.PublishedAt;
                Array.Resize(ref vectors, size * d);
                Array.Resize(ref biases, size);
                Array.Resize(ref published, size);
                Array.Resize(ref _mapped, size * d);
                Array.Resize(ref _clickSums, size * d);
                Array.Resize(ref _clickCounts, size);
                rows = rows with { Vectors = vectors, Biases = biases, PublishedAt = published };
            }
            vector.Vector.CopyTo(_mapped.AsSpan(row * d, d));
            rows.Biases[row] = vector.Bias;
            rows.PublishedAt[row] = publishedAt;
            Blend(row, rows.Vectors);
            _rows = rows with { Count = Math.Max(rows.Count, row + 1) };
        }
    }

    /// <summary>
    /// A positive interaction of a user (their folded vector) with new item <paramref name="index"/>: the item's vector
    /// moves toward its collaborative one, the mean of its clickers' vectors rescaled to the mapped vector's length,
    /// weighted by clicks / (clicks + <see cref="PriorClicks"/>).
    /// </summary>
    public void RecordPositive(int index, ReadOnlySpan<float> userVector)
    {
        var row = index - TrainedCount;
        var d = Dimension;
        if (d == 0 || userVector.Length != d) return;
        lock (_clicks)
        {
            if ((uint)row >= (uint)_rows.Count) return;
            var norm = TensorPrimitives.Norm(userVector);
            if (!(norm > 0) || !float.IsFinite(norm)) return;
            var sum = _clickSums.AsSpan(row * d, d);
            // Unit vectors: each clicker counts the same whatever their vector's length.
            for (var j = 0; j < d; j++) sum[j] += userVector[j] / norm;
            _clickCounts[row]++;
            Blend(row, _rows.Vectors);
        }
    }

    public int ClicksOf(int index) => (uint)(index - TrainedCount) < (uint)_rows.Count ? _clickCounts[index - TrainedCount] : 0;

    private void Blend(int row, float[] vectors)
    {
        var d = Dimension;
        var target = vectors.AsSpan(row * d, d);
        var mapped = _mapped.AsSpan(row * d, d);
        var clicks = _clickCounts[row];
        var sum = _clickSums.AsSpan(row * d, d);
        var sumNorm = clicks == 0 ? 0f : TensorPrimitives.Norm<float>(sum);
        if (clicks == 0 || !(sumNorm > 0))
        {
            mapped.CopyTo(target);
            return;
        }
        var weight = clicks / (clicks + PriorClicks);
        var mappedNorm = TensorPrimitives.Norm<float>(mapped);
        // The clickers' direction at the mapped vector's length (1 when the mapping gave a zero vector).
        var scale = (mappedNorm > 0 ? mappedNorm : 1f) / sumNorm;
        for (var j = 0; j < d; j++) target[j] = (1 - weight) * mapped[j] + weight * sum[j] * scale;
    }
}

/// <summary>A consistent view of the new items' rows: row r is item <c>N + r</c>, for r below <see cref="Count"/>.</summary>
public sealed record NewItemRows(float[] Vectors, float[] Biases, DateTimeOffset[] PublishedAt, int Count, int Dimension)
{
    public ReadOnlySpan<float> Vector(int row) => Vectors.AsSpan(row * Dimension, Dimension);
}
