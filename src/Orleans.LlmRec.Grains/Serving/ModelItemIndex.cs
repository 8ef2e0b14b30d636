using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Scoring.Retrieval;

namespace Orleans.LlmRec.Grains.Serving;

/// <summary>
/// The approximate item index of one model version (<see cref="ModelSnapshot.ItemIndex"/>): built in the background
/// from the model's item vectors when the host asks (<see cref="StartBuilding"/>; the exact path serves until it is
/// <see cref="Ready"/>), then kept up to date in place with <see cref="Add"/> and <see cref="Remove"/>, and disposed
/// when the model is replaced. Updates that arrive while the index is being built are applied before it is published,
/// so none is lost. Thread-safe.
/// </summary>
public sealed partial class ModelItemIndex : IDisposable
{
    private readonly EmbeddingModel _model;
    private readonly string _version;
    private readonly Lock _gate = new();
    // Updates seen while building, in arrival order: (item, vector or null for a removal, bias).
    private readonly List<(int Item, float[]? Vector, float Bias)> _pending = [];
    private ItemVectorIndex? _ready;
    private Task? _building;
    private bool _disposed;

    internal ModelItemIndex(EmbeddingModel model, string version)
    {
        _model = model;
        _version = version;
    }

    /// <summary>The index when built (null before, after a failed build and after disposal).</summary>
    public ItemVectorIndex? Ready => Volatile.Read(ref _ready);

    /// <summary>The build in progress or done (completed at once when none was started).</summary>
    public Task Built => _building ?? Task.CompletedTask;

    /// <summary>How long the build took, once built.</summary>
    public TimeSpan? BuildTime { get; private set; }

    /// <summary>
    /// Starts building the index on a background thread unless a build was already started (or the model has no item
    /// vectors). Returns the build, which never throws: a failure is logged and the exact path keeps serving.
    /// </summary>
    public Task StartBuilding(ItemIndexOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        lock (_gate)
        {
            if (_building is not null || _disposed || _model.Dimension == 0) return Built;
            _building = Task.Run(() => Build(options, logger));
            return _building;
        }
    }

    /// <summary>
    /// Adds item <paramref name="item"/> (a dense index: ≥ the model's item count for an item published after
    /// training) with its vector in the model's item space and its bias, or replaces what the index holds for it.
    /// Before the index is ready the update waits and is applied when the build ends.
    /// </summary>
    public void Add(int item, ReadOnlySpan<float> vector, float bias)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(item);
        if (vector.Length != _model.Dimension)
        {
            throw new ArgumentException($"The vector has {vector.Length} values; model {_version} has dimension {_model.Dimension}.", nameof(vector));
        }
        lock (_gate)
        {
            if (_disposed) return;
            if (_ready is null)
            {
                _pending.Add((item, vector.ToArray(), bias));
                return;
            }
        }
        try
        {
            Ready?.Add(item, vector, bias);
        }
        catch (ObjectDisposedException)
        {
            // The model was replaced meanwhile: its successor has its own index.
        }
    }

    /// <summary>Removes item <paramref name="item"/> (retired): no search that starts afterwards returns it.</summary>
    public void Remove(int item)
    {
        lock (_gate)
        {
            if (_disposed) return;
            if (_ready is null)
            {
                _pending.Add((item, null, 0f));
                return;
            }
        }
        try
        {
            Ready?.Remove(item);
        }
        catch (ObjectDisposedException)
        {
            // As in Add.
        }
    }

    /// <summary>Frees the index; searches in progress finish first, later ones find no index and take the exact path.</summary>
    public void Dispose()
    {
        ItemVectorIndex? index;
        lock (_gate)
        {
            _disposed = true;
            index = _ready;
            _ready = null;
            _pending.Clear();
        }
        index?.Dispose();
    }

    private void Build(ItemIndexOptions options, ILogger logger)
    {
        try
        {
            var clock = Stopwatch.StartNew();
            var index = ItemVectorIndex.Build(_model.ItemVectors, _model.ItemBias, _model.ItemCount, _model.Dimension, options);
            lock (_gate)
            {
                if (_disposed)
                {
                    index.Dispose();
                    return;
                }
                foreach (var (item, vector, bias) in _pending)
                {
                    if (vector is null) index.Remove(item);
                    else index.Add(item, vector, bias);
                }
                _pending.Clear();
                BuildTime = clock.Elapsed;
                Volatile.Write(ref _ready, index);
            }
            LogBuilt(logger, _version, index.Count, clock.Elapsed.TotalSeconds, index.MemoryBytes / (1024.0 * 1024.0), options.Quantization, index.ShardCount, index.ExpansionSearch);
        }
        catch (Exception e)
        {
            LogBuildFailed(logger, e, _version);
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Approximate item index of model {Version}: {Items} items in {Seconds:0.0} s, {Megabytes:0.0} MiB ({Storage} values, {Shards} shard(s) searched at once, search expansion {Expansion} each)")]
    private static partial void LogBuilt(ILogger logger, string version, int items, double seconds, double megabytes, ItemIndexQuantization storage, int shards, int expansion);

    [LoggerMessage(Level = LogLevel.Error, Message = "Building the approximate item index of model {Version} failed; feeds keep scoring the whole catalogue")]
    private static partial void LogBuildFailed(ILogger logger, Exception exception, string version);
}
