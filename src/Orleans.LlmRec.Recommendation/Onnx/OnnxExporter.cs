using System.Reflection;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.Onnx;

/// <summary>Where <see cref="OnnxExporter.Export"/> put the graphs of one model, and how large they are.</summary>
public sealed record OnnxExportResult(string FullCataloguePath, string CandidatesPath, long FullCatalogueBytes, long CandidatesBytes)
{
    /// <summary>The serving graph (contract 2, <c>x.scores.onnx</c>); null for a dimension-0 model, which has none.</summary>
    public string? ItemScoresPath { get; init; }

    public long ItemScoresBytes { get; init; }
}

/// <summary>
/// Writes an <see cref="EmbeddingModel"/> as ONNX scoring graphs that ONNX Runtime (or any ONNX runtime with opset
/// 17) can serve: user vectors and biases come in, top-K item indexes and scores come out. User tables stay out of the
/// file because the serving side folds users in itself; only the item side, with item and global bias folded into one
/// offset per item, is stored. The contract is documented in onnx/README.md.
/// </summary>
public static class OnnxExporter
{
    /// <summary>
    /// Writes the full-catalogue graph to <paramref name="path"/>, the candidate graph beside it
    /// (<see cref="OnnxContract.CandidatesPathFor"/>) and, for models with a dimension, the serving graph
    /// (<see cref="OnnxContract.ItemScoresPathFor"/>). Each file is written to a temporary name and renamed, so a
    /// watcher never loads half a file. The serving graph is written first and the full-catalogue file last, so a
    /// watcher of the full-catalogue file finds its siblings in place.
    /// </summary>
    public static OnnxExportResult Export(EmbeddingModel model, ModelManifest manifest, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var candidatesPath = OnnxContract.CandidatesPathFor(path);
        string? itemScoresPath = null;
        long itemScoresBytes = 0;
        if (model.Dimension > 0)
        {
            itemScoresPath = OnnxContract.ItemScoresPathFor(path);
            itemScoresBytes = ExportGraph(model, manifest, OnnxScoringGraph.ItemScores, itemScoresPath);
        }
        var candidateBytes = ExportGraph(model, manifest, OnnxScoringGraph.Candidates, candidatesPath);
        var fullBytes = ExportGraph(model, manifest, OnnxScoringGraph.FullCatalogue, path);
        return new OnnxExportResult(Path.GetFullPath(path), Path.GetFullPath(candidatesPath), fullBytes, candidateBytes)
        {
            ItemScoresPath = itemScoresPath is null ? null : Path.GetFullPath(itemScoresPath),
            ItemScoresBytes = itemScoresBytes,
        };
    }

    /// <summary>
    /// Writes one graph to <paramref name="path"/> and returns its size in bytes. <paramref name="contractVersion"/>
    /// "1" writes a file for version-1 readers (the full-catalogue and candidate graphs only; their content is the
    /// same in both versions, only the version key differs).
    /// </summary>
    public static long ExportGraph(EmbeddingModel model, ModelManifest manifest, OnnxScoringGraph graph, string path, string contractVersion = OnnxContract.ContractVersion)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = Serialize(model, manifest, graph, contractVersion);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(folder);
        var staging = Path.Combine(folder, $".{Path.GetFileName(full)}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(staging, bytes);
            File.Move(staging, full, overwrite: true);
        }
        catch
        {
            File.Delete(staging);
            throw;
        }
        return bytes.LongLength;
    }

    /// <summary>The ONNX <c>ModelProto</c> bytes of one scoring graph.</summary>
    public static byte[] Serialize(EmbeddingModel model, ModelManifest manifest, OnnxScoringGraph graph, string contractVersion = OnnxContract.ContractVersion)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(manifest);
        if (!OnnxContract.SupportedContractVersions.Contains(contractVersion))
        {
            throw new ArgumentOutOfRangeException(nameof(contractVersion), contractVersion, "Not a scoring contract version this exporter can write.");
        }
        if (graph == OnnxScoringGraph.ItemScores && contractVersion == OnnxContract.ContractVersion1)
        {
            throw new ArgumentException("Scoring contract version 1 has no item_scores graph.", nameof(contractVersion));
        }
        Validate(model, manifest);
        var onnxGraph = graph switch
        {
            OnnxScoringGraph.FullCatalogue => OnnxScoringGraphs.FullCatalogue(model),
            OnnxScoringGraph.Candidates => OnnxScoringGraphs.Candidates(model),
            OnnxScoringGraph.ItemScores => OnnxScoringGraphs.ItemScores(model),
            _ => throw new ArgumentOutOfRangeException(nameof(graph), graph, null),
        };
        var documentation =
            $"{manifest.Kind} model {manifest.Version}: score = global + user_bias + item_bias + dot(user, item); " +
            $"{OnnxContract.GraphName(graph)} graph, scoring contract {contractVersion} (see onnx/README.md).";
        return OnnxModelWriter.Write(onnxGraph, OnnxModelInfo.ToMetadata(manifest, graph, contractVersion), ProducerVersion(), documentation);
    }

    /// <summary><c>onnx/models/{kind}-{version}.onnx</c> under <paramref name="folder"/> (default <see cref="OnnxContract.DefaultModelFolder"/>).</summary>
    public static string DefaultPath(ModelManifest manifest, string? folder = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Path.Combine(folder ?? OnnxContract.DefaultModelFolder, $"{manifest.Kind}-{manifest.Version}{OnnxContract.FileExtension}");
    }

    private static void Validate(EmbeddingModel model, ModelManifest manifest)
    {
        if (!ModelKindNames.TryParse(manifest.Kind, out var kind) || kind != model.Kind)
        {
            throw new ArgumentException($"Manifest kind '{manifest.Kind}' does not match the model kind '{model.Kind.ToName()}'.", nameof(manifest));
        }
        if (manifest.ItemCount != model.ItemCount || manifest.Dimension != model.Dimension || manifest.UserCount != model.UserCount)
        {
            throw new ArgumentException(
                $"Manifest ({manifest.UserCount} users, {manifest.ItemCount} items, d={manifest.Dimension}) does not describe the model " +
                $"({model.UserCount} users, {model.ItemCount} items, d={model.Dimension}).", nameof(manifest));
        }
        if (model.ItemCount == 0)
        {
            throw new ArgumentException("A model with no items cannot be exported: there is nothing to rank.", nameof(model));
        }
        // A NaN or infinite weight would make every score it touches NaN and silently scramble TopK at serving time.
        if (!float.IsFinite(model.GlobalBias) || !AllFinite(model.ItemBias) || !AllFinite(model.ItemVectors))
        {
            throw new ArgumentException("The model has non-finite item weights or global bias; refusing to export it.", nameof(model));
        }
    }

    private static bool AllFinite(float[] values)
    {
        foreach (var value in values)
        {
            if (!float.IsFinite(value)) return false;
        }
        return true;
    }

    private static string ProducerVersion() =>
        typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(OnnxExporter).Assembly.GetName().Version?.ToString()
        ?? "0";
}
