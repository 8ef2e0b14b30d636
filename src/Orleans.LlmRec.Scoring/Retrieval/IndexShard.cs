using Cloud.Unum.USearch;

namespace Orleans.LlmRec.Scoring.Retrieval;

/// <summary>
/// One native USearch index (an HNSW graph) holding a share of an <see cref="ItemVectorIndex"/>'s items, with what
/// makes it safe to call from many threads: USearch serves at most <c>contexts</c> calls at once, and its capacity may
/// only grow while no other call runs. Vectors come in already mapped by the index's <see cref="ScoreSpace"/>.
/// </summary>
internal sealed class IndexShard : IDisposable
{
    private readonly UsearchHandle _handle;
    private readonly int _contexts;
    private readonly SemaphoreSlim _callSlots;
    private readonly ReaderWriterLockSlim _growth = new(LockRecursionPolicy.NoRecursion);
    private long _capacity;

    public IndexShard(int storedDimension, ItemIndexOptions options, int capacity, int expansionSearch)
    {
        _contexts = Math.Max(options.MaxConcurrentSearches, options.ResolvedBuildThreads);
        _callSlots = new SemaphoreSlim(_contexts, _contexts);
        _handle = UsearchNative.Create(options.Metric == ItemIndexMetric.Euclidean ? MetricKind.L2sq : MetricKind.Ip, StorageOf(options.Quantization),
            (ulong)storedDimension, (ulong)options.Connectivity, (ulong)options.ExpansionAdd, (ulong)expansionSearch);
        _capacity = Math.Max(capacity, 64);
        UsearchNative.Reserve(_handle, (int)_capacity, _contexts);
    }

    /// <summary>Vectors the native index holds (removed ones excluded).</summary>
    public long Size => UsearchNative.Size(_handle);

    /// <summary>Bytes the native index holds (graph, vectors and search contexts).</summary>
    public long MemoryBytes => UsearchNative.MemoryUsage(_handle);

    /// <summary>Inserts a stored vector under <paramref name="key"/>, growing the index first when it is full. Callers serialise adds.</summary>
    public void Add(ulong key, ReadOnlySpan<float> stored, bool mayGrow)
    {
        if (mayGrow) EnsureRoomForOneMore();
        using (Enter())
        {
            UsearchNative.Add(_handle, key, stored);
        }
    }

    public void Remove(ulong key)
    {
        using (Enter())
        {
            UsearchNative.Remove(_handle, key);
        }
    }

    /// <summary>The nearest stored vectors to <paramref name="query"/>, nearest first; returns how many it wrote.</summary>
    public int Search(ReadOnlySpan<float> query, Span<ulong> keys, Span<float> distances)
    {
        using (Enter())
        {
            return UsearchNative.Search(_handle, query, keys, distances);
        }
    }

    /// <summary>Changes how many candidates a search examines; waits for the calls in progress.</summary>
    public void SetExpansionSearch(int expansion)
    {
        _growth.EnterWriteLock();
        try
        {
            UsearchNative.SetExpansionSearch(_handle, expansion);
        }
        finally
        {
            _growth.ExitWriteLock();
        }
    }

    public void Save(string path)
    {
        using (Enter())
        {
            UsearchNative.Save(_handle, path);
        }
    }

    /// <summary>Replaces the contents with what <see cref="Save"/> wrote; only before the shard is shared.</summary>
    public void Load(string path, int expansionSearch)
    {
        UsearchNative.Load(_handle, path);
        _capacity = Math.Max(_capacity, UsearchNative.Size(_handle) + 1_024);
        UsearchNative.Reserve(_handle, (int)_capacity, _contexts);
        UsearchNative.SetExpansionSearch(_handle, expansionSearch);
    }

    public void Dispose() => _handle.Dispose();

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

    private static ScalarKind StorageOf(ItemIndexQuantization quantization) => quantization switch
    {
        ItemIndexQuantization.Float16 => ScalarKind.Float16,
        ItemIndexQuantization.BFloat16 => ScalarKind.BFloat16,
        ItemIndexQuantization.Int8 => ScalarKind.Int8,
        _ => ScalarKind.Float32,
    };

    /// <summary>One native call in progress: a search context and a share of the growth lock.</summary>
    private readonly struct CallSlot(IndexShard shard) : IDisposable
    {
        public void Dispose()
        {
            shard._callSlots.Release();
            shard._growth.ExitReadLock();
        }
    }
}
