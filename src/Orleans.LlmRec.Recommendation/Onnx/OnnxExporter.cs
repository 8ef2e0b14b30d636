using System.Buffers.Binary;
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
    private const string ItemMatrix = "item_matrix";
    private const string ItemVectors = "item_vectors";
    private const string ItemOffset = "item_offset";
    private const string ExcludedScore = "excluded_score";
    private const string AxisOne = "axis_1";
    private const string AxisTwo = "axis_2";
    private const string ItemMatrixWithOffset = "item_matrix_with_offset";
    private const string OnesColumnPads = "ones_column_pads";
    private const string One = "one";

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
            OnnxScoringGraph.FullCatalogue => BuildFullCatalogueGraph(model),
            OnnxScoringGraph.Candidates => BuildCandidatesGraph(model),
            OnnxScoringGraph.ItemScores => BuildItemScoresGraph(model),
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

    private static OnnxGraph BuildFullCatalogueGraph(EmbeddingModel model)
    {
        var n = model.ItemCount;
        var d = model.Dimension;
        var graph = new OnnxGraph(
            $"{model.Kind.ToName()}_full_catalogue",
            "Scores every item for each user row, masks excluded items to -inf and returns the top k.");
        AddUserInputs(graph, d);
        graph.Inputs.Add(new OnnxValueInfo(OnnxContract.ExclusionMaskInput, OnnxElementType.Bool,
            [OnnxDimension.Named(OnnxContract.BatchDimension), OnnxDimension.Fixed(n)],
            "true where the item must not be recommended (already seen, filtered); its score becomes -inf"));
        AddKInput(graph);
        AddSharedInitializers(graph, model);

        string itemScores;
        if (d > 0)
        {
            graph.Initializers.Add(FloatTensor(ItemMatrix, [d, n], TransposedItemVectors(model)));
            // Gemm adds the folded item offset while it multiplies: one kernel for dot + item bias + global bias.
            itemScores = graph.AddNode("Gemm", "item_scores", [OnnxContract.UserVectorsInput, ItemMatrix, ItemOffset]);
        }
        else
        {
            itemScores = ItemOffset;
        }
        var userBiasColumn = graph.AddNode("Unsqueeze", "user_bias_column", [OnnxContract.UserBiasInput, AxisOne]);
        var rawScores = graph.AddNode("Add", "raw_scores", [itemScores, userBiasColumn]);
        graph.AddNode("Where", OnnxContract.ScoresOutput, [OnnxContract.ExclusionMaskInput, ExcludedScore, rawScores]);
        AddTopK(graph, OnnxContract.TopItemsOutput);

        AddOutputs(graph, OnnxDimension.Fixed(n));
        return graph;
    }

    private static OnnxGraph BuildCandidatesGraph(EmbeddingModel model)
    {
        var n = model.ItemCount;
        var d = model.Dimension;
        var graph = new OnnxGraph(
            $"{model.Kind.ToName()}_candidates",
            "Scores each user's candidate items, masks excluded or padded slots to -inf and returns the top k as item indexes.");
        AddUserInputs(graph, d);
        var batchByCandidates = new[] { OnnxDimension.Named(OnnxContract.BatchDimension), OnnxDimension.Named(OnnxContract.CandidateDimension) };
        graph.Inputs.Add(new OnnxValueInfo(OnnxContract.CandidatesInput, OnnxElementType.Int64, batchByCandidates,
            $"item indexes to score, each in [0, {n}); pad short rows with any valid index and mask the padding"));
        graph.Inputs.Add(new OnnxValueInfo(OnnxContract.ExclusionMaskInput, OnnxElementType.Bool, batchByCandidates,
            "true where the candidate slot must not be recommended (excluded or padding); its score becomes -inf"));
        AddKInput(graph);
        AddSharedInitializers(graph, model);

        var candidateOffsets = graph.AddNode("Gather", "candidate_offsets", [ItemOffset, OnnxContract.CandidatesInput], new OnnxIntAttribute("axis", 0));
        string itemScores;
        if (d > 0)
        {
            graph.Initializers.Add(FloatTensor(ItemVectors, [n, d], model.ItemVectors));
            graph.Initializers.Add(Int64Tensor(AxisTwo, [1], [2]));
            var candidateVectors = graph.AddNode("Gather", "candidate_vectors", [ItemVectors, OnnxContract.CandidatesInput], new OnnxIntAttribute("axis", 0));
            var userColumn = graph.AddNode("Unsqueeze", "user_column", [OnnxContract.UserVectorsInput, AxisTwo]);
            // [batch, c, d] x [batch, d, 1]: a batched matrix-vector product, one dot per candidate.
            var dots = graph.AddNode("MatMul", "candidate_dots_column", [candidateVectors, userColumn]);
            var candidateDots = graph.AddNode("Squeeze", "candidate_dots", [dots, AxisTwo]);
            itemScores = graph.AddNode("Add", "item_scores", [candidateDots, candidateOffsets]);
        }
        else
        {
            itemScores = candidateOffsets;
        }
        var userBiasColumn = graph.AddNode("Unsqueeze", "user_bias_column", [OnnxContract.UserBiasInput, AxisOne]);
        var rawScores = graph.AddNode("Add", "raw_scores", [itemScores, userBiasColumn]);
        graph.AddNode("Where", OnnxContract.ScoresOutput, [OnnxContract.ExclusionMaskInput, ExcludedScore, rawScores]);
        var topPositions = AddTopK(graph, "top_positions");
        graph.AddNode("GatherElements", OnnxContract.TopItemsOutput, [OnnxContract.CandidatesInput, topPositions], new OnnxIntAttribute("axis", 1));

        AddOutputs(graph, OnnxDimension.Named(OnnxContract.CandidateDimension));
        return graph;
    }

    /// <summary>
    /// The serving graph: item_scores = [user_vectors, 1] · [item_matrix; item_offset], one MatMul with K = d + 1 whose
    /// constant right-hand side ONNX Runtime pre-packs at session start. No user bias (a per-row constant, it cannot
    /// change a row's order), no mask and no TopK: the caller excludes, selects and adds the user bias to the k it keeps.
    /// </summary>
    private static OnnxGraph BuildItemScoresGraph(EmbeddingModel model)
    {
        var n = model.ItemCount;
        var d = model.Dimension;
        if (d == 0)
        {
            throw new ArgumentException("A dimension-0 (popularity) model has no item_scores graph: its scores do not depend on the user.", nameof(model));
        }
        var graph = new OnnxGraph(
            $"{model.Kind.ToName()}_item_scores",
            "Serving graph: global + item bias + dot(user, item) for every item and user row; no user bias, mask or top-k.");
        graph.Inputs.Add(new OnnxValueInfo(OnnxContract.UserVectorsInput, OnnxElementType.Float,
            [OnnxDimension.Named(OnnxContract.BatchDimension), OnnxDimension.Fixed(d)],
            "effective user vectors (trained or folded in), one row per user"));
        var offsets = ItemOffsets(model);
        var extended = new float[(long)(d + 1) * n];
        TransposedItemVectors(model).CopyTo(extended, 0);
        offsets.CopyTo(extended, (long)d * n);
        graph.Initializers.Add(FloatTensor(ItemMatrixWithOffset, [d + 1, n], extended));
        // Pad appends a constant-1 column: [batch, d] -> [batch, d + 1], so the offset row is added by the MatMul itself.
        graph.Initializers.Add(Int64Tensor(OnesColumnPads, [4], [0, 0, 0, 1]));
        graph.Initializers.Add(FloatTensor(One, [], [1f]));
        var userRows = graph.AddNode("Pad", "user_rows", [OnnxContract.UserVectorsInput, OnesColumnPads, One]);
        graph.AddNode("MatMul", OnnxContract.ItemScoresOutput, [userRows, ItemMatrixWithOffset]);
        graph.Outputs.Add(new OnnxValueInfo(OnnxContract.ItemScoresOutput, OnnxElementType.Float,
            [OnnxDimension.Named(OnnxContract.BatchDimension), OnnxDimension.Fixed(n)],
            "global bias + item bias + dot(user, item) for every item; add the user bias for the full score"));
        return graph;
    }

    private static float[] ItemOffsets(EmbeddingModel model)
    {
        var offsets = new float[model.ItemCount];
        for (var i = 0; i < offsets.Length; i++) offsets[i] = model.ItemBias[i] + model.GlobalBias;
        return offsets;
    }

    private static void AddUserInputs(OnnxGraph graph, int d)
    {
        // With d = 0 (popularity) there is no dot product, and a [batch, 0] input would only be a trap for callers.
        if (d > 0)
        {
            graph.Inputs.Add(new OnnxValueInfo(OnnxContract.UserVectorsInput, OnnxElementType.Float,
                [OnnxDimension.Named(OnnxContract.BatchDimension), OnnxDimension.Fixed(d)],
                "effective user vectors (trained or folded in), one row per user"));
        }
        graph.Inputs.Add(new OnnxValueInfo(OnnxContract.UserBiasInput, OnnxElementType.Float,
            [OnnxDimension.Named(OnnxContract.BatchDimension)], "user bias, one per user row"));
    }

    private static void AddKInput(OnnxGraph graph) =>
        graph.Inputs.Add(new OnnxValueInfo(OnnxContract.KInput, OnnxElementType.Int64, [OnnxDimension.Fixed(1)],
            "how many items to return per row; 1 <= k <= the scored axis length"));

    private static void AddSharedInitializers(OnnxGraph graph, EmbeddingModel model)
    {
        graph.Initializers.Add(FloatTensor(ItemOffset, [model.ItemCount], ItemOffsets(model)));
        graph.Initializers.Add(FloatTensor(ExcludedScore, [], [OnnxContract.ExcludedScore]));
        graph.Initializers.Add(Int64Tensor(AxisOne, [1], [1]));
    }

    private static string AddTopK(OnnxGraph graph, string indicesName)
    {
        graph.AddNode("TopK", [OnnxContract.TopScoresOutput, indicesName], [OnnxContract.ScoresOutput, OnnxContract.KInput],
            new OnnxIntAttribute("axis", -1), new OnnxIntAttribute("largest", 1), new OnnxIntAttribute("sorted", 1));
        return indicesName;
    }

    private static void AddOutputs(OnnxGraph graph, OnnxDimension scoredAxis)
    {
        var batch = OnnxDimension.Named(OnnxContract.BatchDimension);
        var topK = OnnxDimension.Named(OnnxContract.TopKDimension);
        graph.Outputs.Add(new OnnxValueInfo(OnnxContract.ScoresOutput, OnnxElementType.Float, [batch, scoredAxis],
            "score of every scored item; -inf where masked"));
        graph.Outputs.Add(new OnnxValueInfo(OnnxContract.TopScoresOutput, OnnxElementType.Float, [batch, topK],
            "the k best scores per row, best first"));
        graph.Outputs.Add(new OnnxValueInfo(OnnxContract.TopItemsOutput, OnnxElementType.Int64, [batch, topK],
            "dense item indexes of the k best scores per row, best first"));
    }

    private static float[] TransposedItemVectors(EmbeddingModel model)
    {
        var n = model.ItemCount;
        var d = model.Dimension;
        var transposed = new float[(long)n * d];
        var source = model.ItemVectors;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < d; j++) transposed[(long)j * n + i] = source[(long)i * d + j];
        }
        return transposed;
    }

    private static OnnxInitializer FloatTensor(string name, long[] dimensions, float[] values)
    {
        var bytes = new byte[checked(values.Length * sizeof(float))];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        return new OnnxInitializer(name, OnnxElementType.Float, dimensions, bytes);
    }

    private static OnnxInitializer Int64Tensor(string name, long[] dimensions, long[] values)
    {
        var bytes = new byte[checked(values.Length * sizeof(long))];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * sizeof(long)), values[i]);
        return new OnnxInitializer(name, OnnxElementType.Int64, dimensions, bytes);
    }

    private static string ProducerVersion() =>
        typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(OnnxExporter).Assembly.GetName().Version?.ToString()
        ?? "0";
}
