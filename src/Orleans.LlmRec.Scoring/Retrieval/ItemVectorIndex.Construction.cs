namespace Orleans.LlmRec.Scoring.Retrieval;

/// <summary>The index's construction: built from a model's items, or saved and loaded back.</summary>
public sealed partial class ItemVectorIndex
{
    private ItemVectorIndex(ScoreSpace space, ItemIndexOptions options, int itemCount, int capacity)
    {
        _space = space;
        Options = options;
        var shards = options.ResolvedShards(itemCount);
        ExpansionSearch = options.ResolvedExpansionSearch(itemCount);
        _shards = new IndexShard[shards];
        try
        {
            for (var s = 0; s < shards; s++) _shards[s] = new IndexShard(space.StoredDimension, options, capacity / shards + 1, ExpansionSearch);
        }
        catch
        {
            foreach (var shard in _shards) shard?.Dispose();
            throw;
        }
        _live = new LiveItems(Math.Max(capacity, 64));
    }

    /// <summary>
    /// The search expansion of each shard: the setting, or chosen by the size of a shard (<see cref="ItemIndexOptions.ResolvedExpansionSearch"/>).
    /// </summary>
    public int ExpansionSearch { get; private set; }

    /// <summary>
    /// Builds the index over <paramref name="count"/> items: item <c>i</c> has the vector at
    /// <c>vectors[i·dimension ..]</c> and bias <c>biases[i]</c>, and is found under index <c>i</c>. Inserts on
    /// <see cref="ItemIndexOptions.BuildThreads"/> threads (into every shard at once); the caller runs it off the
    /// request path.
    /// </summary>
    public static ItemVectorIndex Build(float[] vectors, float[] biases, int count, int dimension, ItemIndexOptions options, CancellationToken cancellationToken = default)
    {
        var index = Create(vectors, biases, count, dimension, options);
        try
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = options.ResolvedBuildThreads, CancellationToken = cancellationToken },
                i => index.Insert(i, vectors.AsSpan(i * dimension, dimension), biases[i], mayGrow: false));
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes the graphs and the stored vectors to <paramref name="path"/> (one shard), or to
    /// <see cref="ShardPath"/>(path, s, S) for each of S shards (for a benchmark's cache, or to skip a rebuild).
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        for (var s = 0; s < _shards.Length; s++) _shards[s].Save(ShardPath(path, s, _shards.Length));
    }

    /// <summary>Where <see cref="Save"/> writes shard <paramref name="shard"/> of <paramref name="shards"/>.</summary>
    public static string ShardPath(string path, int shard, int shards) => shards == 1 ? path : $"{path}.shard{shard}-of-{shards}";

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
            for (var s = 0; s < index._shards.Length; s++) index._shards[s].Load(ShardPath(path, s, index._shards.Length), index.ExpansionSearch);
            var held = index._shards.Sum(s => s.Size);
            if (held != count) throw new InvalidDataException($"{path} holds {held} items, not {count}.");
            for (var i = 0; i < count; i++) index._live.Set(i);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var shard in _shards) shard.Dispose();
    }

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
}
