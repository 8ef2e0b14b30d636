using System.Buffers;
using System.Numerics.Tensors;

namespace Orleans.LlmRec.Scoring.Retrieval;

/// <summary>
/// An approximate nearest-neighbour index over one model's items (an HNSW graph in USearch), searched for the items
/// with the highest model score for a user vector. The models score <c>user·item + itemBias</c> (+ terms constant per
/// user); <see cref="ScoreSpace"/> maps items and users to vectors whose distance orders items as that score
/// (<see cref="ItemIndexMetric"/>), stored as <see cref="ItemIndexOptions.Quantization"/> says.
/// <para>
/// The items may be split into shards (<see cref="ItemIndexOptions.Shards"/>; item <c>i</c> in shard <c>i mod S</c>),
/// each its own graph: a search asks every shard for the same count at once (<see cref="ShardSearch"/>) and merges by
/// distance, so a lone request's search takes about one shard's time on as many cores.
/// </para>
/// <para>
/// Thread-safe: any number of threads may search while others <see cref="Add"/> or <see cref="Remove"/> items (updates
/// are serialised among themselves). A removed item is never returned. Dispose frees the native index once the calls
/// in progress have returned; calls after that throw <see cref="ObjectDisposedException"/>.
/// </para>
/// </summary>
public sealed partial class ItemVectorIndex : IDisposable
{
    private readonly IndexShard[] _shards;
    private readonly LiveItems _live;
    private readonly Lock _updates = new();
    private readonly ScoreSpace _space;
    // Items added after the build whose norm exceeds the radius: scored exactly beside the graph (rare, and few).
    private OutlierItem[] _outliers = [];

    /// <summary>The model's dimension (the stored vectors have one more value, the item bias).</summary>
    public int Dimension => _space.Dimension;

    public ItemIndexOptions Options { get; }

    /// <summary>Items the index holds now.</summary>
    public int Count => _live.Count;

    /// <summary>How many graphs the items are split into (searched in parallel).</summary>
    public int ShardCount => _shards.Length;

    /// <summary>Bytes the native indexes hold (graphs, vectors and search contexts).</summary>
    public long MemoryBytes => _shards.Sum(s => s.MemoryBytes);

    /// <summary>
    /// Adds <paramref name="item"/> (a dense item index) with its vector and bias, or replaces what the index holds for
    /// it. Safe while other threads search; visible to searches that start after it returns.
    /// </summary>
    public void Add(int item, ReadOnlySpan<float> vector, float bias)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(item);
        if (vector.Length != Dimension)
        {
            throw new ArgumentException($"The vector has {vector.Length} values; the index has dimension {Dimension}.", nameof(vector));
        }
        if (!float.IsFinite(bias) || !AllFinite(vector)) throw new ArgumentException("The vector and bias must be finite numbers.", nameof(vector));
        lock (_updates)
        {
            if (_live.Contains(item)) RemoveLocked(item);
            if (_space.IsOutlier(vector, bias))
            {
                Volatile.Write(ref _outliers, [.. _outliers, new OutlierItem(item, vector.ToArray(), bias)]);
                _live.Set(item);
                return;
            }
            Insert(item, vector, bias, mayGrow: true);
        }
    }

    /// <summary>Removes <paramref name="item"/>; no search that starts after this returns it. False when it was not there.</summary>
    public bool Remove(int item)
    {
        if (item < 0) return false;
        lock (_updates)
        {
            if (!_live.Contains(item)) return false;
            RemoveLocked(item);
            return true;
        }
    }

    /// <summary>Whether the index holds <paramref name="item"/>.</summary>
    public bool Contains(int item) => item >= 0 && _live.Contains(item);

    /// <summary>
    /// Writes into <paramref name="items"/> up to its length the items with the highest approximate score for
    /// <paramref name="userVector"/>, best first, and returns how many it wrote. The order is the exact score's with
    /// 32-bit storage, and that of the rounded values with narrower storage (callers that need exact scores re-score).
    /// </summary>
    public int Search(ReadOnlySpan<float> userVector, Span<int> items)
    {
        if (userVector.Length != Dimension)
        {
            throw new ArgumentException($"The user vector has {userVector.Length} values; the index has dimension {Dimension}.", nameof(userVector));
        }
        if (items.IsEmpty) return 0;
        var count = items.Length;
        var perShard = PerShardCount(count, _shards.Length);
        var mergedAt = perShard * _shards.Length;
        var query = ArrayPool<float>.Shared.Rent(_space.StoredDimension);
        var keys = ArrayPool<ulong>.Shared.Rent(mergedAt + count);
        var distances = ArrayPool<float>.Shared.Rent(mergedAt + count);
        try
        {
            var queryScale = _space.WriteQuery(userVector, query.AsSpan(0, _space.StoredDimension));
            var written = SearchShards(query.AsMemory(0, _space.StoredDimension), keys, distances, perShard, count);
            // The merged results sit in the buffers' last slice.
            var merged = keys.AsSpan(mergedAt, written);
            var outliers = Volatile.Read(ref _outliers);
            if (outliers.Length == 0)
            {
                for (var i = 0; i < written; i++) items[i] = (int)merged[i];
                return written;
            }
            return MergeOutliers(userVector, queryScale, merged, distances.AsSpan(mergedAt, written), outliers, items);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(query);
            ArrayPool<ulong>.Shared.Return(keys);
            ArrayPool<float>.Shared.Return(distances);
        }
    }

    /// <summary>The top <paramref name="count"/> items for <paramref name="userVector"/>, best first.</summary>
    public int[] Search(ReadOnlySpan<float> userVector, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var items = new int[count];
        var found = Search(userVector, items);
        return found == count ? items : items[..found];
    }

    /// <summary>Changes how many candidates a search of each shard examines (for sweeps); waits for the calls in progress.</summary>
    public void SetExpansionSearch(int expansion)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(expansion, 1);
        foreach (var shard in _shards) shard.SetExpansionSearch(expansion);
        ExpansionSearch = expansion;
    }

    /// <summary>
    /// How many of its nearest items each of <paramref name="shards"/> shards is asked for when a search wants
    /// <paramref name="count"/>: items are spread over the shards by index (<c>i mod S</c>), so the overall nearest
    /// <paramref name="count"/> hold about <c>count / S</c> of each shard's; asking each for 1.5 × that + 16 leaves room for
    /// an uneven share (the excess is many standard deviations of that share at any count worth sharding) while a shard's
    /// search beam (at least the count asked for) stays narrow when the count exceeds its expansion.
    /// </summary>
    internal static int PerShardCount(int count, int shards) =>
        shards <= 1 ? count : (int)Math.Min(count, (long)Math.Ceiling(count * 1.5 / shards) + 16);

    /// <summary>
    /// Searches every shard for its nearest <paramref name="perShard"/> (shard s into slice s of the buffers, each
    /// <paramref name="perShard"/> long) and writes the nearest <paramref name="count"/> live ones of all into the slice
    /// after them; returns how many.
    /// </summary>
    private int SearchShards(ReadOnlyMemory<float> query, ulong[] keys, float[] distances, int perShard, int count)
    {
        var mergedAt = perShard * _shards.Length;
        if (_shards.Length == 1)
        {
            var found = _shards[0].Search(query.Span, keys.AsSpan(0, perShard), distances.AsSpan(0, perShard));
            return ShardSearch.Merge(keys, distances, [found], perShard, _live, keys.AsSpan(mergedAt, count), distances.AsSpan(mergedAt, count));
        }
        var foundPerShard = ShardSearch.Run(_shards, query, keys, distances, perShard);
        return ShardSearch.Merge(keys, distances, foundPerShard, perShard, _live, keys.AsSpan(mergedAt, count), distances.AsSpan(mergedAt, count));
    }

    private IndexShard ShardOf(int item) => _shards[item % _shards.Length];

    private void Insert(int item, ReadOnlySpan<float> vector, float bias, bool mayGrow)
    {
        Span<float> stored = _space.StoredDimension < 512 ? stackalloc float[_space.StoredDimension] : new float[_space.StoredDimension];
        _space.WriteItem(vector, bias, stored);
        ShardOf(item).Add((ulong)item, stored, mayGrow);
        _live.Set(item);
    }

    private void RemoveLocked(int item)
    {
        // Cleared first, so that from here on no search returns the item even before the native index forgets it.
        _live.Clear(item);
        var outliers = _outliers;
        if (Array.FindIndex(outliers, o => o.Item == item) is var at and >= 0)
        {
            Volatile.Write(ref _outliers, [.. outliers[..at], .. outliers[(at + 1)..]]);
            return;
        }
        ShardOf(item).Remove((ulong)item);
    }

    /// <summary>
    /// Merges the graph's results with the outliers by score (the graph's scores come back from its distances, up to
    /// the rounding of 16- and 8-bit storage; <see cref="ScoreSpace.WriteQuery"/> keeps a long user's query in range).
    /// </summary>
    private int MergeOutliers(ReadOnlySpan<float> userVector, float queryScale, ReadOnlySpan<ulong> keys, ReadOnlySpan<float> distances, OutlierItem[] outliers, Span<int> items)
    {
        var userNormSquared = TensorPrimitives.Dot(userVector, userVector);
        var scored = new List<(float Score, int Item)>(keys.Length + outliers.Length);
        for (var i = 0; i < keys.Length; i++) scored.Add((_space.ScoreOf(distances[i], userNormSquared, queryScale), (int)keys[i]));
        foreach (var outlier in outliers)
        {
            if (_live.Contains(outlier.Item)) scored.Add((TensorPrimitives.Dot<float>(userVector, outlier.Vector) + outlier.Bias, outlier.Item));
        }
        scored.Sort((a, b) => b.Score.CompareTo(a.Score));
        var written = Math.Min(items.Length, scored.Count);
        for (var i = 0; i < written; i++) items[i] = scored[i].Item;
        return written;
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (var value in values)
        {
            if (!float.IsFinite(value)) return false;
        }
        return true;
    }

    private sealed record OutlierItem(int Item, float[] Vector, float Bias);
}
