using System.Buffers;
using System.Numerics.Tensors;

namespace Orleans.LlmRec.Scoring.Retrieval;

/// <summary>
/// An approximate nearest-neighbour index over one model's items (an HNSW graph in USearch), searched for the items
/// with the highest model score for a user vector. The models score <c>user·item + itemBias</c> (+ terms constant per
/// user); <see cref="ScoreSpace"/> maps items and users to vectors whose distance orders items as that score
/// (<see cref="ItemIndexMetric"/>), stored as <see cref="ItemIndexOptions.Quantization"/> says.
/// <para>
/// Thread-safe: any number of threads may search while others <see cref="Add"/> or <see cref="Remove"/> items (updates
/// are serialised among themselves). A removed item is never returned. Dispose frees the native index once the calls
/// in progress have returned; calls after that throw <see cref="ObjectDisposedException"/>.
/// </para>
/// </summary>
public sealed partial class ItemVectorIndex : IDisposable
{
    private readonly UsearchHandle _handle;
    private readonly LiveItems _live;
    private readonly int _contexts;
    // USearch serves at most _contexts calls at once; its capacity may only grow while no other call runs.
    private readonly SemaphoreSlim _callSlots;
    private readonly ReaderWriterLockSlim _growth = new(LockRecursionPolicy.NoRecursion);
    private readonly Lock _updates = new();
    private readonly ScoreSpace _space;
    private long _capacity;
    // Items added after the build whose norm exceeds the radius: scored exactly beside the graph (rare, and few).
    private OutlierItem[] _outliers = [];

    /// <summary>The model's dimension (the stored vectors have one more value, the item bias).</summary>
    public int Dimension => _space.Dimension;

    public ItemIndexOptions Options { get; }

    /// <summary>Items the index holds now.</summary>
    public int Count => _live.Count;

    /// <summary>Bytes the native index holds (graph, vectors and search contexts).</summary>
    public long MemoryBytes => UsearchNative.MemoryUsage(_handle);

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
            EnsureRoomForOneMore();
            Insert(item, vector, bias);
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
        Span<float> query = _space.StoredDimension < 512 ? stackalloc float[_space.StoredDimension] : new float[_space.StoredDimension];
        _space.WriteQuery(userVector, query);
        var keys = ArrayPool<ulong>.Shared.Rent(items.Length);
        var distances = ArrayPool<float>.Shared.Rent(items.Length);
        try
        {
            int found;
            using (Enter())
            {
                found = UsearchNative.Search(_handle, query, keys.AsSpan(0, items.Length), distances.AsSpan(0, items.Length));
            }
            var written = 0;
            for (var i = 0; i < found; i++)
            {
                var item = (int)keys[i];
                // The native index drops removed items itself; the bit set makes it a promise.
                if (!_live.Contains(item)) continue;
                keys[written] = keys[i];
                distances[written++] = distances[i];
            }
            var outliers = Volatile.Read(ref _outliers);
            if (outliers.Length == 0)
            {
                for (var i = 0; i < written; i++) items[i] = (int)keys[i];
                return written;
            }
            return MergeOutliers(userVector, keys.AsSpan(0, written), distances.AsSpan(0, written), outliers, items);
        }
        finally
        {
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

    /// <summary>Changes how many candidates a search examines (for sweeps); waits for the calls in progress.</summary>
    public void SetExpansionSearch(int expansion)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(expansion, 1);
        _growth.EnterWriteLock();
        try
        {
            UsearchNative.SetExpansionSearch(_handle, expansion);
            ExpansionSearch = expansion;
        }
        finally
        {
            _growth.ExitWriteLock();
        }
    }

    private void Insert(int item, ReadOnlySpan<float> vector, float bias)
    {
        Span<float> stored = _space.StoredDimension < 512 ? stackalloc float[_space.StoredDimension] : new float[_space.StoredDimension];
        _space.WriteItem(vector, bias, stored);
        using (Enter())
        {
            UsearchNative.Add(_handle, (ulong)item, stored);
        }
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
        using (Enter())
        {
            UsearchNative.Remove(_handle, (ulong)item);
        }
    }

    private void EnsureRoomForOneMore()
    {
        var size = UsearchNative.Size(_handle);
        if (size + 1 <= _capacity) return;
        _growth.EnterWriteLock();
        try
        {
            _capacity = Math.Max(_capacity + _capacity / 4, _capacity + 1_024);
            UsearchNative.Reserve(_handle, (int)Math.Min(_capacity, int.MaxValue), _contexts);
        }
        finally
        {
            _growth.ExitWriteLock();
        }
    }

    private CallSlot Enter()
    {
        _growth.EnterReadLock();
        try
        {
            _callSlots.Wait();
        }
        catch
        {
            _growth.ExitReadLock();
            throw;
        }
        return new CallSlot(this);
    }

    /// <summary>Merges the graph's results with the outliers by score (the graph's scores come back from its distances).</summary>
    private int MergeOutliers(ReadOnlySpan<float> userVector, ReadOnlySpan<ulong> keys, ReadOnlySpan<float> distances, OutlierItem[] outliers, Span<int> items)
    {
        var userNormSquared = TensorPrimitives.Dot(userVector, userVector);
        var scored = new List<(float Score, int Item)>(keys.Length + outliers.Length);
        for (var i = 0; i < keys.Length; i++) scored.Add((_space.ScoreOf(distances[i], userNormSquared), (int)keys[i]));
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

    /// <summary>One native call in progress: a search context and a share of the growth lock.</summary>
    private readonly struct CallSlot(ItemVectorIndex index) : IDisposable
    {
        public void Dispose()
        {
            index._callSlots.Release();
            index._growth.ExitReadLock();
        }
    }
}
