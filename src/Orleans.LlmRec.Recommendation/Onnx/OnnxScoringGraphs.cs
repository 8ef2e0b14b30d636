using System.Buffers.Binary;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.Onnx;

/// <summary>
/// The scoring graphs <see cref="OnnxExporter"/> writes, one per <see cref="OnnxScoringGraph"/>, with the model's
/// weights as initializers (contract: onnx/README.md).
/// </summary>
internal static class OnnxScoringGraphs
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

    public static OnnxGraph FullCatalogue(EmbeddingModel model)
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

    public static OnnxGraph Candidates(EmbeddingModel model)
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
    public static OnnxGraph ItemScores(EmbeddingModel model)
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
}
