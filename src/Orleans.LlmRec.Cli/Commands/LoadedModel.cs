using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Onnx;
using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>A model directory with its ONNX scorer, as <c>score</c> and <c>recommend</c> open it.</summary>
internal sealed class LoadedModel : IAsyncDisposable
{
    private LoadedModel(EmbeddingModel trained, IdMap users, IdMap items, ModelManifest manifest, OnnxScorer scorer)
    {
        Trained = trained;
        Users = users;
        Items = items;
        Manifest = manifest;
        Scorer = scorer;
    }

    public EmbeddingModel Trained { get; }
    public IdMap Users { get; }
    public IdMap Items { get; }
    public ModelManifest Manifest { get; }
    public OnnxScorer Scorer { get; }

    /// <summary>Loads the directory, exporting it first when it has no model.onnx or was retrained since its export.</summary>
    public static async Task<LoadedModel> OpenAsync(string directory, ScorerOptions options, CancellationToken cancellationToken)
    {
        var (trained, users, items, manifest) = ModelDirectory.Load(directory);
        var onnxPath = Path.Combine(directory, ExportCommand.DefaultFileName);
        if (!File.Exists(onnxPath)) OnnxExporter.Export(trained, manifest, onnxPath);
        var scorer = OnnxScorer.Load(onnxPath, options);
        if (scorer.Model.Version != manifest.Version)
        {
            // The model directory was retrained since its last export: re-export and swap the fresh graph in.
            OnnxExporter.Export(trained, manifest, onnxPath);
            await scorer.SwapAsync(onnxPath, cancellationToken: cancellationToken);
        }
        return new LoadedModel(trained, users, items, manifest, scorer);
    }

    /// <summary>Refuses a data set whose item ids are not the model's: seen items and titles would be read under the wrong ids.</summary>
    public void CheckTrainedOn(RatingsDataset dataset)
    {
        if (dataset.Items.Checksum() != Manifest.ItemIdChecksum)
        {
            throw new CliUsageException(
                $"--data: '{dataset.Name}' ({dataset.Items.Count} items) is not the data set the model was trained on ('{Manifest.Dataset}', {Items.Count} items): its item ids do not match.");
        }
    }

    public ValueTask DisposeAsync() => Scorer.DisposeAsync();
}
