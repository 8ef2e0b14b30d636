using Microsoft.ML.OnnxRuntime;
using Orleans.LlmRec.Recommendation.Onnx;

namespace Orleans.LlmRec.Scoring;

/// <summary>
/// The load-time checks of a model file against the export contract (onnx/README.md): its metadata, its graph's
/// inputs and outputs, the caller's expectations, and that a sibling graph belongs to the same model.
/// </summary>
internal static class ModelChecks
{
    public static OnnxModelInfo ReadInfo(string path, InferenceSession session, OnnxScoringGraph expectedGraph)
    {
        OnnxModelInfo info;
        try
        {
            info = OnnxModelInfo.FromMetadata(session.ModelMetadata.CustomMetadataMap);
        }
        catch (InvalidDataException e)
        {
            throw new ScoringModelException(path, e.Message, e);
        }
        if (info.Graph != expectedGraph)
        {
            throw new ScoringModelException(path, $"it holds the {OnnxContract.GraphName(info.Graph)} graph where the {OnnxContract.GraphName(expectedGraph)} graph was expected.");
        }
        return info;
    }

    public static void CheckExpectation(string path, OnnxModelInfo info, ModelExpectation? expectation)
    {
        if (expectation is null) return;
        if (expectation.ItemCount is { } items && items != info.ItemCount)
        {
            throw new ScoringModelException(path, $"it ranks {info.ItemCount} items, the catalogue being served has {items}.");
        }
        if (expectation.ItemIdChecksum is { } checksum && !string.Equals(checksum, info.ItemIdChecksum, StringComparison.OrdinalIgnoreCase))
        {
            throw new ScoringModelException(path, $"its item id map checksum {info.ItemIdChecksum} differs from the expected {checksum} (trained on another catalogue).");
        }
        if (expectation.Dimension is { } dimension && dimension != info.Dimension)
        {
            throw new ScoringModelException(path, $"its dimension is {info.Dimension}, {dimension} was expected.");
        }
    }

    public static void CheckSignature(string path, InferenceSession session, OnnxModelInfo info)
    {
        void Require(IReadOnlyDictionary<string, NodeMetadata> values, string name, Type elementType, params long[] dimensions)
        {
            if (!values.TryGetValue(name, out var value))
            {
                throw new ScoringModelException(path, $"the graph has no '{name}' {(values == session.InputMetadata ? "input" : "output")}.");
            }
            if (value.ElementType != elementType || !value.Dimensions.Select(d => (long)d).SequenceEqual(dimensions))
            {
                throw new ScoringModelException(path,
                    $"'{name}' is {value.ElementType.Name}[{string.Join(", ", value.Dimensions)}], the contract says {elementType.Name}[{string.Join(", ", dimensions)}] (-1 = any).");
            }
        }

        var scored = info.Graph == OnnxScoringGraph.FullCatalogue ? info.ItemCount : -1;
        var inputs = session.InputMetadata;
        if (info.Dimension > 0) Require(inputs, OnnxContract.UserVectorsInput, typeof(float), -1, info.Dimension);
        else if (inputs.ContainsKey(OnnxContract.UserVectorsInput)) throw new ScoringModelException(path, "a dimension-0 model must not take user vectors.");
        Require(inputs, OnnxContract.UserBiasInput, typeof(float), -1);
        Require(inputs, OnnxContract.ExclusionMaskInput, typeof(bool), -1, scored);
        Require(inputs, OnnxContract.KInput, typeof(long), 1);
        if (info.Graph == OnnxScoringGraph.Candidates) Require(inputs, OnnxContract.CandidatesInput, typeof(long), -1, -1);
        var outputs = session.OutputMetadata;
        Require(outputs, OnnxContract.ScoresOutput, typeof(float), -1, scored);
        Require(outputs, OnnxContract.TopScoresOutput, typeof(float), -1, -1);
        Require(outputs, OnnxContract.TopItemsOutput, typeof(long), -1, -1);
    }

    public static void CheckItemScoresSignature(string path, InferenceSession session, OnnxModelInfo info)
    {
        var inputs = session.InputMetadata;
        var outputs = session.OutputMetadata;
        if (inputs.Count != 1 || !inputs.TryGetValue(OnnxContract.UserVectorsInput, out var input)
            || input.ElementType != typeof(float) || !input.Dimensions.SequenceEqual([-1, info.Dimension]))
        {
            throw new ScoringModelException(path,
                $"the {OnnxContract.GraphName(OnnxScoringGraph.ItemScores)} graph must take exactly '{OnnxContract.UserVectorsInput}' Single[-1, {info.Dimension}].");
        }
        if (!outputs.TryGetValue(OnnxContract.ItemScoresOutput, out var output)
            || output.ElementType != typeof(float) || !output.Dimensions.SequenceEqual([-1, info.ItemCount]))
        {
            throw new ScoringModelException(path,
                $"the {OnnxContract.GraphName(OnnxScoringGraph.ItemScores)} graph must return '{OnnxContract.ItemScoresOutput}' Single[-1, {info.ItemCount}].");
        }
    }

    public static void CheckSibling(string path, OnnxModelInfo sibling, OnnxModelInfo info)
    {
        if (sibling.Version != info.Version || sibling.ItemIdChecksum != info.ItemIdChecksum
            || sibling.ItemCount != info.ItemCount || sibling.Dimension != info.Dimension)
        {
            throw new ScoringModelException(path,
                $"it belongs to model {sibling.Version} ({sibling.ItemCount} items), not to {info.Version} ({info.ItemCount} items) beside it.");
        }
    }
}
