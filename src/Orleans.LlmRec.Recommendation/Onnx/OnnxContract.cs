namespace Orleans.LlmRec.Recommendation.Onnx;

/// <summary>Which of the two scoring graphs an exported file holds.</summary>
public enum OnnxScoringGraph
{
    /// <summary>Scores every item in the catalogue: <c>scores</c> is [batch, item_count].</summary>
    FullCatalogue,

    /// <summary>Scores a caller-chosen candidate list per user: <c>scores</c> is [batch, candidate_count].</summary>
    Candidates,

    /// <summary>
    /// Contract version 2: the serving graph. Only the item part of every score, <c>item_scores</c> [batch, item_count]
    /// = global + item bias + dot, with no user bias, mask or TopK: the caller excludes, adds the user bias and selects.
    /// </summary>
    ItemScores,
}

/// <summary>
/// The names, types and metadata keys every exported scoring graph keeps to (documented in onnx/README.md).
/// A scorer checks <see cref="ContractVersion"/> before trusting anything else in the file.
/// </summary>
public static class OnnxContract
{
    /// <summary>
    /// The version the exporter writes. Bumped whenever an input, output, file or metadata key changes meaning.
    /// Version 2 added the <see cref="OnnxScoringGraph.ItemScores"/> serving graph; the two version-1 graphs are unchanged.
    /// </summary>
    public const string ContractVersion = "2";

    /// <summary>Version 1: the full-catalogue and candidate graphs only (files written before the serving graph).</summary>
    public const string ContractVersion1 = "1";

    /// <summary>The versions a reader of this assembly understands.</summary>
    public static IReadOnlyList<string> SupportedContractVersions { get; } = [ContractVersion1, ContractVersion];

    public const long IrVersion = 8;
    public const long OpsetVersion = 17;
    public const string ProducerName = "Orleans.LlmRec";

    public const string UserVectorsInput = "user_vectors";
    public const string UserBiasInput = "user_bias";
    public const string ExclusionMaskInput = "exclusion_mask";
    public const string CandidatesInput = "candidates";
    public const string KInput = "k";

    public const string ScoresOutput = "scores";
    public const string TopScoresOutput = "top_scores";
    public const string TopItemsOutput = "top_items";

    /// <summary>The one output of the serving graph: global + item bias + dot, [batch, item_count].</summary>
    public const string ItemScoresOutput = "item_scores";

    /// <summary>The symbolic dimension names used in the graph signatures.</summary>
    public const string BatchDimension = "batch";
    public const string CandidateDimension = "candidate_count";
    public const string TopKDimension = "top_k";

    /// <summary>The score an excluded item (or padded candidate slot) gets, so that TopK ranks it last.</summary>
    public const float ExcludedScore = float.NegativeInfinity;

    public const string FileExtension = ".onnx";
    public const string CandidatesFileSuffix = ".candidates.onnx";
    public const string ItemScoresFileSuffix = ".scores.onnx";

    /// <summary>Where the CLI writes exported models unless told otherwise (git-ignored).</summary>
    public const string DefaultModelFolder = "onnx/models";

    public static string GraphName(OnnxScoringGraph graph) => graph switch
    {
        OnnxScoringGraph.FullCatalogue => "full_catalogue",
        OnnxScoringGraph.Candidates => "candidates",
        OnnxScoringGraph.ItemScores => "item_scores",
        _ => throw new ArgumentOutOfRangeException(nameof(graph), graph, null),
    };

    public static bool TryParseGraphName(string? name, out OnnxScoringGraph graph)
    {
        switch (name)
        {
            case "full_catalogue": graph = OnnxScoringGraph.FullCatalogue; return true;
            case "candidates": graph = OnnxScoringGraph.Candidates; return true;
            case "item_scores": graph = OnnxScoringGraph.ItemScores; return true;
            default: graph = default; return false;
        }
    }

    /// <summary>The candidate-graph file that sits beside a full-catalogue file: <c>x.onnx</c> → <c>x.candidates.onnx</c>.</summary>
    public static string CandidatesPathFor(string fullCataloguePath) => Stem(fullCataloguePath) + CandidatesFileSuffix;

    /// <summary>The serving-graph file that sits beside a full-catalogue file: <c>x.onnx</c> → <c>x.scores.onnx</c>.</summary>
    public static string ItemScoresPathFor(string fullCataloguePath) => Stem(fullCataloguePath) + ItemScoresFileSuffix;

    private static string Stem(string fullCataloguePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(fullCataloguePath);
        return fullCataloguePath.EndsWith(FileExtension, StringComparison.OrdinalIgnoreCase)
            ? fullCataloguePath[..^FileExtension.Length]
            : fullCataloguePath;
    }
}

/// <summary>Keys of <c>ModelProto.metadata_props</c> (ONNX Runtime: <c>ModelMetadata.CustomMetadataMap</c>).</summary>
public static class OnnxMetadataKeys
{
    public const string ContractVersion = "llmrec.contract_version";
    public const string Graph = "llmrec.graph";
    public const string Kind = "llmrec.kind";
    public const string Version = "llmrec.version";
    public const string CreatedAt = "llmrec.created_at";
    public const string Dimension = "llmrec.dimension";
    public const string ItemCount = "llmrec.item_count";
    public const string UserCount = "llmrec.user_count";
    public const string ItemIdChecksum = "llmrec.item_id_checksum";
    public const string Dataset = "llmrec.dataset";

    /// <summary>A JSON object of evaluation figures, e.g. <c>{"ndcg@10":…}</c>.</summary>
    public const string Metrics = "llmrec.metrics";

    /// <summary>A JSON object of hyper-parameters, e.g. <c>{"reg":0.02}</c>.</summary>
    public const string Parameters = "llmrec.parameters";
}
