using System.Diagnostics;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Recommendation.ColdStart;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Onnx;
using Orleans.LlmRec.Recommendation.Training;
using Orleans.LlmRec.Scoring;
using Orleans.LlmRec.Scoring.Retrieval;
using Orleans.LlmRec.Silo.Configuration;

namespace Orleans.LlmRec.Silo.Serving;

/// <summary>
/// Builds what a silo serves, once: the data set (loaded or synthetic), the model (loaded from a model directory or
/// trained at start), the catalogue over the model's item map, and the ONNX export the scorer runs.
/// <see cref="ServingStartup"/> forces it before the silo and Kestrel start.
/// </summary>
public sealed partial class SiloModelLoader : IAsyncDisposable
{
    private readonly CatalogueOptions _catalogue;
    private readonly ModelOptions _model;
    private readonly ScorerOptions _scorer;
    private readonly FeedOptions _feed;
    private readonly ItemIndexOptions _itemIndex;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger<SiloModelLoader> _logger;
    private readonly Lazy<SiloModel> _serving;
    private readonly List<string> _exportedFiles = [];
    private string? _temporaryFolder;
    private OnnxScorer? _onnxScorer;
    private readonly SemaphoreSlim _reloading = new(1, 1);

    public SiloModelLoader(IOptions<CatalogueOptions> catalogue, IOptions<ModelOptions> model, IOptions<ScorerOptions> scorer,
        IOptions<FeedOptions> feed, IOptions<ItemIndexOptions> itemIndex, ILoggerFactory loggers)
    {
        _feed = feed.Value;
        _itemIndex = itemIndex.Value;
        _catalogue = catalogue.Value;
        _model = model.Value;
        _scorer = scorer.Value;
        _loggers = loggers;
        _logger = loggers.CreateLogger<SiloModelLoader>();
        _serving = new Lazy<SiloModel>(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public SiloModel Serving => _serving.Value;

    /// <summary>Whether the catalogue and model are loaded (reading <see cref="Serving"/> before would load them).</summary>
    public bool IsLoaded => _serving.IsValueCreated;

    private SiloModel Load()
    {
        var dataset = LoadDataset();
        // The model's item map fixes the dense indexes the scorer returns; the data set adds text and popularity.
        var (model, manifest, items) = _model.Directory is { } directory ? LoadModel(directory, dataset) : TrainModel(dataset);
        // The embedded default (a model trained at start) has no text map: fitting one would load the text encoder and
        // embed the whole catalogue in every silo start (docs/text-embeddings.md); its new items go by tags.
        var textMap = _model.Directory is { } modelDirectory ? LoadTextMap(modelDirectory, manifest) : null;
        var catalogue = ItemCatalogue.Build(dataset, items, _catalogue.TrainingHistoryPerUser);

        var folder = _model.OnnxFolder ?? (_temporaryFolder = Path.Combine(Path.GetTempPath(), "llmrec-onnx", $"{Environment.ProcessId}-{Guid.NewGuid():N}"));
        var export = ExportForServing(model, manifest, folder);
        _onnxScorer = OnnxScorer.Load(export.FullCataloguePath, _scorer, _loggers.CreateLogger<OnnxScorer>(),
            ExpectationFor(catalogue, model));
        LogServing(_logger, manifest.Kind, manifest.Version, catalogue.Count, model.Dimension, catalogue.Name, export.FullCataloguePath);
        var snapshot = new ModelSnapshot(model, manifest.Version, textMap);
        StartItemIndex(snapshot, catalogue.Count);
        return new SiloModel(catalogue, snapshot, _onnxScorer);
    }

    /// <summary>
    /// Loads <c>Model:Directory</c> again (e.g. after <c>llmrec train --out</c> replaced it) and swaps it in: the scorer
    /// first (a new ONNX session beside the old one; in-flight requests finish on the old), then the model grains fold
    /// users in with. Anything wrong with the new model (unreadable, another item map, an export the scorer refuses)
    /// throws <see cref="ModelReloadException"/> and the current model keeps serving. One reload at a time.
    /// </summary>
    public async Task<ModelReload> ReloadAsync(CancellationToken cancellationToken = default)
    {
        if (_model.Directory is not { } directory)
        {
            throw new ModelReloadException("no Model:Directory is configured: this silo trained its model at start, so there is nothing to reload.");
        }
        await _reloading.WaitAsync(cancellationToken);
        try
        {
            var serving = Serving;
            var previous = serving.Current;
            EmbeddingModel model;
            ModelManifest manifest;
            IdMap items;
            try
            {
                (model, _, items, manifest) = ModelDirectory.Load(directory);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or FormatException or UnauthorizedAccessException or System.Text.Json.JsonException or ArgumentException)
            {
                throw new ModelReloadException($"Model:Directory '{directory}' cannot be read: {e.Message}", e);
            }
            var checksum = items.Checksum();
            if (checksum != serving.Catalogue.Checksum)
            {
                throw new ModelReloadException(
                    $"the model in '{directory}' was trained on another item map ({items.Count} items, checksum {checksum[..12]}…) than the one served ({serving.Catalogue.Count} items); restart the silo to serve a new catalogue.");
            }
            if (manifest.Version == previous.Version)
            {
                return new ModelReload(previous.Version, previous.Version, Changed: false);
            }
            var folder = _model.OnnxFolder ?? _temporaryFolder ?? Path.GetTempPath();
            var export = ExportForServing(model, manifest, folder);
            try
            {
                await _onnxScorer!.SwapAsync(export.FullCataloguePath,
                    ExpectationFor(serving.Catalogue, model),
                    cancellationToken);
            }
            catch (ScoringModelException e)
            {
                throw new ModelReloadException(e.Message, e);
            }
            var snapshot = new ModelSnapshot(model, manifest.Version, LoadTextMap(directory, manifest));
            StartItemIndex(snapshot, serving.Catalogue.Count);
            serving.Replace(snapshot);
            LogReloaded(_logger, previous.Version, manifest.Version, manifest.Kind, directory);
            return new ModelReload(previous.Version, manifest.Version, Changed: true);
        }
        finally
        {
            _reloading.Release();
        }
    }

    /// <summary>Starts the background build of the model's approximate item index when feeds will use it (FeedPipeline.SelectCandidates).</summary>
    private void StartItemIndex(ModelSnapshot snapshot, int catalogueCount)
    {
        if (catalogueCount >= _feed.ApproximateAboveItems) snapshot.ItemIndex.StartBuilding(_itemIndex, _logger);
    }

    /// <summary>What the scorer must find in an export of <paramref name="model"/> to serve it over <paramref name="catalogue"/>.</summary>
    private static ModelExpectation ExpectationFor(ItemCatalogue catalogue, EmbeddingModel model) =>
        new() { ItemCount = catalogue.Count, ItemIdChecksum = catalogue.Checksum, Dimension = model.Dimension };

    /// <summary>The scoring graphs of <paramref name="model"/> in <paramref name="folder"/>, deleted again when the silo stops.</summary>
    private OnnxExportResult ExportForServing(EmbeddingModel model, ModelManifest manifest, string folder)
    {
        var export = OnnxExporter.Export(model, manifest, OnnxExporter.DefaultPath(manifest, folder));
        _exportedFiles.AddRange([export.FullCataloguePath, export.CandidatesPath]);
        if (export.ItemScoresPath is { } itemScoresPath) _exportedFiles.Add(itemScoresPath);
        return export;
    }

    private RatingsDataset LoadDataset()
    {
        if (_catalogue.DatasetPath is { } path)
        {
            var loaded = DatasetLoader.Load(path, _catalogue.Format);
            LogDataset(_logger, loaded.Name, loaded.UserCount, loaded.ItemCount, loaded.Interactions.Length);
            if (_catalogue.SideTextPath is { } sidePath)
            {
                var texts = AugmentationSideFile.ItemTexts(AugmentationSideFile.ReadAll(sidePath));
                loaded = ItemTextLoader.WithDescriptions(loaded, texts);
                LogSideText(_logger, texts.Count, sidePath);
            }
            return loaded;
        }
        var synthetic = SyntheticCatalogue.Generate(new SyntheticCatalogueOptions
        {
            UserCount = _catalogue.SyntheticUsers,
            ItemCount = _catalogue.SyntheticItems,
            Seed = _catalogue.SyntheticSeed,
            MeanInteractionsPerUser = Math.Min(50, _catalogue.SyntheticItems / 4.0),
        });
        LogDataset(_logger, synthetic.Name, synthetic.UserCount, synthetic.ItemCount, synthetic.Interactions.Length);
        return synthetic;
    }

    private static (EmbeddingModel, ModelManifest, IdMap) LoadModel(string directory, RatingsDataset dataset)
    {
        var (model, _, items, manifest) = ModelDirectory.Load(directory);
        var known = items.ExternalIds.Count(id => dataset.Items.TryGetIndex(id, out _));
        if (known == 0)
        {
            throw new InvalidOperationException(
                $"Model:Directory '{directory}' shares no item id with the catalogue '{dataset.Name}': set Catalogue:DatasetPath to the data set the model was trained on.");
        }
        return (model, manifest, items);
    }

    private (EmbeddingModel, ModelManifest, IdMap) TrainModel(RatingsDataset dataset)
    {
        ModelKindNames.TryParse(_model.Kind, out var kind);
        var settings = _model.ToTrainerSettings();
        IModelTrainer trainer;
        try
        {
            trainer = ModelTrainers.Create(kind, settings);
        }
        catch (NotSupportedException e)
        {
            // The service still starts and serves, on the baseline every model must beat.
            LogTrainerMissing(_logger, kind.ToName(), e.Message);
            trainer = ModelTrainers.Create(ModelKind.Popularity, settings);
        }
        var clock = Stopwatch.StartNew();
        var model = trainer.Train(dataset);
        var manifest = ModelDirectory.CreateManifest(model, dataset.Users, dataset.Items, dataset.Name, _model.Seed, clock.Elapsed.TotalSeconds);
        LogTrained(_logger, manifest.Kind, dataset.Name, clock.Elapsed.TotalSeconds);
        return (model, manifest, dataset.Items);
    }

    /// <summary>The model's text map, or null when it has none or an unreadable one (then new items go by tags; logged).</summary>
    private TextItemMap? LoadTextMap(string directory, ModelManifest manifest)
    {
        try
        {
            var map = ModelDirectory.LoadTextMap(directory, manifest);
            if (map is not null) LogTextMap(_logger, map.TextDimension, map.ModelDimension, map.Encoder, map.FittedItems);
            return map;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
        {
            LogTextMapRefused(_logger, directory, e.Message);
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_onnxScorer is not null) await _onnxScorer.DisposeAsync();
        try
        {
            foreach (var file in _exportedFiles) File.Delete(file);
            if (_temporaryFolder is not null && Directory.Exists(_temporaryFolder)) Directory.Delete(_temporaryFolder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover file in the temp folder is harmless.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Text map: {TextDimension} → {ModelDimension} + bias from {Encoder} vectors, fitted on {Items} items")]
    private static partial void LogTextMap(ILogger logger, int textDimension, int modelDimension, string encoder, int items);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Text map in {Directory} not used ({Reason}); new items are placed by tags")]
    private static partial void LogTextMapRefused(ILogger logger, string directory, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reloaded the model: {OldVersion} → {NewVersion} ({Kind}, from {Directory})")]
    private static partial void LogReloaded(ILogger logger, string oldVersion, string newVersion, string kind, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalogue data set {Name}: {Users} users, {Items} items, {Interactions} interactions")]
    private static partial void LogDataset(ILogger logger, string name, int users, int items, int interactions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalogue side text: {Items} items from {Path}")]
    private static partial void LogSideText(ILogger logger, int items, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No trainer for model kind '{Kind}' in this build ({Reason}); training popularity instead")]
    private static partial void LogTrainerMissing(ILogger logger, string kind, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Trained {Kind} on {Dataset} in {Seconds:0.0} s")]
    private static partial void LogTrained(ILogger logger, string kind, string dataset, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving {Kind} model {Version}: {Items} items, dimension {Dimension}, catalogue {Catalogue}, ONNX {Path}")]
    private static partial void LogServing(ILogger logger, string kind, string version, int items, int dimension, string catalogue, string path);
}

/// <summary>What a model reload did: the version served before and after (equal when the directory held the same model).</summary>
public sealed record ModelReload(string PreviousVersion, string Version, bool Changed);

/// <summary>A model reload that was refused; the model served before keeps serving.</summary>
public sealed class ModelReloadException(string reason, Exception? inner = null) : Exception($"Model reload refused: {reason}", inner)
{
    public string Reason { get; } = reason;
}
