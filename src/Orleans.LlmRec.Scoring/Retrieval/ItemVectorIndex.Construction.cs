using Cloud.Unum.USearch;

namespace Orleans.LlmRec.Scoring.Retrieval;

/// <summary>The index's construction: built from a model's items, or saved and loaded back.</summary>
public sealed partial class ItemVectorIndex
{
    private ItemVectorIndex(ScoreSpace space, ItemIndexOptions options, int itemCount, int capacity)
    {
        _space = space;
        Options = options;
        _contexts = Math.Max(options.MaxConcurrentSearches, options.ResolvedBuildThreads);
        _callSlots = new SemaphoreSlim(_contexts, _contexts);
        ExpansionSearch = options.ResolvedExpansionSearch(itemCount);
        _handle = UsearchNative.Create(options.Metric == ItemIndexMetric.Euclidean ? MetricKind.L2sq : MetricKind.Ip, StorageOf(options.Quantization),
            (ulong)space.StoredDimension, (ulong)options.Connectivity, (ulong)options.ExpansionAdd, (ulong)ExpansionSearch);
        _capacity = Math.Max(capacity, 64);
        UsearchNative.Reserve(_handle, (int)_capacity, _contexts);
        _live = new LiveItems((int)_capacity);
    }

    /// <summary>The search expansion the index was created with (the setting, or chosen by catalogue size).</summary>
    public int ExpansionSearch { get; private set; }

    /// <summary>
    /// Builds the index over <paramref name="count"/> items: item <c>i</c> has the vector at
    /// <c>vectors[i·dimension ..]</c> and bias <c>biases[i]</c>, and is found under index <c>i</c>. Inserts on
    /// <see cref="ItemIndexOptions.BuildThreads"/> threads; the caller runs it off the request path.
    /// </summary>
    public static ItemVectorIndex Build(float[] vectors, float[] biases, int count, int dimension, ItemIndexOptions options, CancellationToken cancellationToken = default)
    {
        var index = Create(vectors, biases, count, dimension, options);
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = options.ResolvedBuildThreads, CancellationToken = cancellationToken },
                i => index.Insert(i, vectors.AsSpan(i * dimension, dimension), biases[i]));
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>Writes the graph and the stored vectors to <paramref name="path"/> (for a benchmark's cache, or to skip a rebuild).</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using (Enter())
        {
            UsearchNative.Save(_handle, path);
        }
    }

    /// <summary>
    /// Loads what <see cref="Save"/> wrote for the same items (<c>vectors</c>, <c>biases</c>: those the index was built
    /// from, which fix how scores map to distances) and options; the search expansion is the options' again.
    /// </summary>
    public static ItemVectorIndex Load(string path, float[] vectors, float[] biases, int count, int dimension, ItemIndexOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var index = Create(vectors, biases, count, dimension, options);
        try
        {
            UsearchNative.Load(index._handle, path);
            if (UsearchNative.Size(index._handle) != count) throw new InvalidDataException($"{path} holds {UsearchNative.Size(index._handle)} items, not {count}.");
            UsearchNative.Reserve(index._handle, (int)index._capacity, index._contexts);
            UsearchNative.SetExpansionSearch(index._handle, index.ExpansionSearch);
            for (var i = 0; i < count; i++) index._live.Set(i);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    public void Dispose() => _handle.Dispose();

    private static ItemVectorIndex Create(float[] vectors, float[] biases, int count, int dimension, ItemIndexOptions options)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(biases);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if ((long)count * dimension > vectors.Length || count > biases.Length)
        {
            throw new ArgumentException($"{count} items of dimension {dimension} need {(long)count * dimension} vector values and {count} biases.", nameof(vectors));
        }
        // Room for new items to arrive without growing the index at once, and for their norms to be a little larger.
        var space = ScoreSpace.For(vectors, biases, count, dimension, options.Metric, options.Quantization);
        return new ItemVectorIndex(space, options, count, count + Math.Max(1_024, count / 16));
    }

    private static ScalarKind StorageOf(ItemIndexQuantization quantization) => quantization switch
    {
        ItemIndexQuantization.Float16 => ScalarKind.Float16,
        ItemIndexQuantization.BFloat16 => ScalarKind.BFloat16,
        ItemIndexQuantization.Int8 => ScalarKind.Int8,
        _ => ScalarKind.Float32,
    };
}
