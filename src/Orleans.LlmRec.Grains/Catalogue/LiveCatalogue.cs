using Microsoft.Extensions.Logging;
using Orleans.LlmRec.Grains.Serving;

namespace Orleans.LlmRec.Grains.Catalogue;

/// <summary>What a catalogue write did, as the item API answers it.</summary>
public enum CatalogueWriteStatus
{
    /// <summary>Appended to the log and applied on this silo.</summary>
    Applied,
    /// <summary>The catalogue already held exactly this (a repeated PUT, a repeated DELETE): nothing appended.</summary>
    Unchanged,
    /// <summary>A PUT of a retired item: retired items never come back.</summary>
    Retired,
    /// <summary>A DELETE of an item the catalogue never held.</summary>
    Unknown,
}

/// <summary>
/// The silo's side of the live catalogue: appends accepted changes to the shared <see cref="ICatalogueLog"/>, applies
/// the log in order to the catalogue's <see cref="CatalogueAdditions"/> (its own entries before answering, so a
/// writer reads its write; other silos' entries when the tailer polls, or at once when an event names an item this
/// silo does not know yet), and keeps the new items' vectors for the served model (<see cref="INewItemVectors"/>,
/// recomputed when the model changes), in the model's approximate item index too when it has one
/// (<see cref="NewItemIndexing"/>). One applier at a time.
/// </summary>
public sealed partial class LiveCatalogue(SiloModel serving, ICatalogueLog log, INewItemVectors vectors, TimeProvider time, ILogger<LiveCatalogue> logger)
{
    private const int ReadBatch = 512;
    private readonly SemaphoreSlim _applying = new(1, 1);
    private readonly Lock _rebuildStart = new();
    private readonly NewItemIndexing _indexing = new(serving.Catalogue.Additions);
    private volatile NewItemVectorTable? _vectors;
    private Task? _rebuilding;

    public ItemCatalogue Catalogue => serving.Catalogue;
    public CatalogueAdditions Additions => serving.Catalogue.Additions;

    /// <summary>The catalogue version: the last log entry this silo applied.</summary>
    public string? Version => Additions.Version;

    /// <summary>How new items got their vectors (<see cref="INewItemVectors.Name"/>).</summary>
    public string VectorSource => vectors.Name;

    /// <summary>How new item <paramref name="index"/> got its vector: the placement's name, or its fallback's when that made it.</summary>
    public string VectorSourceOf(int index) => _vectors?.SourceOf(index) ?? vectors.Name;

    /// <summary>
    /// Applies every log entry this silo has not applied yet, in order (after the log's snapshot when the log was
    /// compacted beyond what this silo applied). Returns how many changes it applied.
    /// </summary>
    public async Task<int> CatchUpAsync(CancellationToken cancellationToken = default)
    {
        await _applying.WaitAsync(cancellationToken);
        try
        {
            var applied = 0;
            while (true)
            {
                IReadOnlyList<CatalogueEntry> entries;
                try
                {
                    entries = await log.ReadAfterAsync(Additions.Version, ReadBatch, cancellationToken);
                }
                catch (CatalogueLogCompactedException)
                {
                    // Starting, or behind the last compaction: its snapshot first, then the log after its position.
                    applied += await ApplySnapshotAsync(cancellationToken);
                    continue;
                }
                foreach (var entry in entries)
                {
                    await ApplyAsync(entry, cancellationToken);
                    applied++;
                }
                if (entries.Count < ReadBatch) return applied;
            }
        }
        finally
        {
            _applying.Release();
        }
    }

    private async Task<int> ApplySnapshotAsync(CancellationToken cancellationToken)
    {
        if (await log.SnapshotBeyondAsync(Additions.Version, cancellationToken) is not { } snapshot) return 0;
        foreach (var change in snapshot.Changes) await ApplyAsync(new CatalogueEntry(snapshot.Position, change), cancellationToken);
        Additions.AdvanceTo(snapshot.Position);
        LogSnapshotApplied(logger, snapshot.Changes.Count, snapshot.Position);
        return snapshot.Changes.Count;
    }

    /// <summary>Publishes (adds or updates) an item; answers after this silo applied it.</summary>
    public async Task<CatalogueWriteStatus> PutAsync(string itemId, ItemPublication item, CancellationToken cancellationToken = default)
    {
        await CatchUpAsync(cancellationToken);
        if (Catalogue.TryGetIndex(itemId, out var index) && Additions.StateOf(index) is { } current)
        {
            if (current.Retired) return CatalogueWriteStatus.Retired;
            if (current.Publication is { } published && published.SameAs(item)) return CatalogueWriteStatus.Unchanged;
        }
        await log.AppendAsync(new CatalogueChange(CatalogueOperation.Put, itemId, item), cancellationToken);
        await CatchUpAsync(cancellationToken);
        // Another silo may have retired it just before our entry: applied in log order, the put changed nothing.
        return Catalogue.TryGetIndex(itemId, out index) && Additions.StateOf(index) is { Retired: true } ? CatalogueWriteStatus.Retired : CatalogueWriteStatus.Applied;
    }

    /// <summary>Retires an item (trained or new): never served again; its history stays. Idempotent.</summary>
    public async Task<CatalogueWriteStatus> RetireAsync(string itemId, CancellationToken cancellationToken = default)
    {
        await CatchUpAsync(cancellationToken);
        if (!Catalogue.TryGetIndex(itemId, out var index)) return CatalogueWriteStatus.Unknown;
        if (Additions.StateOf(index) is { Retired: true }) return CatalogueWriteStatus.Unchanged;
        await log.AppendAsync(new CatalogueChange(CatalogueOperation.Delete, itemId, null), cancellationToken);
        await CatchUpAsync(cancellationToken);
        return CatalogueWriteStatus.Applied;
    }

    /// <summary>
    /// The new items' rows for <paramref name="model"/>, or null while they are being computed for a model that was
    /// just swapped in (new items then sit out a few feeds rather than hold a feed up).
    /// </summary>
    public NewItemVectorTable? VectorsFor(ModelSnapshot model)
    {
        var table = _vectors;
        if (table is not null && table.ModelVersion == model.Version) return table;
        if (Additions.NewCount == 0) return null;
        lock (_rebuildStart)
        {
            if (_rebuilding is null || _rebuilding.IsCompleted) _rebuilding = Task.Run(() => RebuildAsync(model));
        }
        return null;
    }

    /// <summary>A user (their folded vector) clicked, liked or rated new item <paramref name="index"/> well.</summary>
    public void RecordPositive(int index, ReadOnlySpan<float> userVector, ModelSnapshot model)
    {
        if (index < Catalogue.Count || _vectors is not { } table || table.ModelVersion != model.Version) return;
        table.RecordPositive(index, userVector);
        _indexing.Moved(model, table, index);
    }

    private async Task ApplyAsync(CatalogueEntry entry, CancellationToken cancellationToken)
    {
        var outcome = Additions.Apply(entry, time.GetUtcNow());
        if (outcome == CatalogueApplyOutcome.Unchanged || !Catalogue.TryGetIndex(entry.Change.ItemId, out var index)) return;
        var model = serving.Current;
        var table = _vectors;
        if (index >= Catalogue.Count && outcome != CatalogueApplyOutcome.Retired)
        {
            if (table is null || table.ModelVersion != model.Version)
            {
                // Builds every row and syncs the index with all of them.
                _vectors = await BuildTableAsync(model, cancellationToken);
                return;
            }
            await SetRowAsync(table, index, model, cancellationToken);
        }
        _indexing.Changed(model, table, index);
    }

    private async Task RebuildAsync(ModelSnapshot model)
    {
        await _applying.WaitAsync();
        try
        {
            if (_vectors?.ModelVersion != model.Version) _vectors = await BuildTableAsync(model, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogVectorsFailed(logger, e, model.Version);
        }
        finally
        {
            _applying.Release();
        }
    }

    private async Task<NewItemVectorTable> BuildTableAsync(ModelSnapshot model, CancellationToken cancellationToken)
    {
        var table = new NewItemVectorTable(model.Version, Catalogue.Count, model.Dimension);
        for (var i = 0; i < Additions.NewCount; i++) await SetRowAsync(table, Catalogue.Count + i, model, cancellationToken);
        _indexing.Sync(model, table);
        return table;
    }

    private async Task SetRowAsync(NewItemVectorTable table, int index, ModelSnapshot model, CancellationToken cancellationToken)
    {
        var state = Additions.StateOf(index);
        if (state?.Publication is not { } publication)
        {
            table.Set(index, new NewItemVector(new float[model.Dimension], 0f), DateTimeOffset.MinValue);
            return;
        }
        var vector = await vectors.VectorForAsync(publication.Describe(state.ItemId), model, cancellationToken);
        table.Set(index, vector, state.PublishedAt);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalogue snapshot applied: {Changes} change(s) through log entry {Position}")]
    private static partial void LogSnapshotApplied(ILogger logger, int changes, string position);

    [LoggerMessage(Level = LogLevel.Error, Message = "New items' vectors for model {Version} could not be computed; they are not scored until the next change")]
    private static partial void LogVectorsFailed(ILogger logger, Exception exception, string version);
}
