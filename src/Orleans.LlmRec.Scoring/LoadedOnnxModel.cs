using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Orleans.LlmRec.Recommendation.Onnx;

namespace Orleans.LlmRec.Scoring;

/// <summary>
/// One ONNX model loaded for scoring: its full-catalogue session, its candidate session when the file has a sibling,
/// its serving (item_scores, contract 2) session when the file has that sibling, and a reference count. The scorer holds one
/// reference while the model is current and every queued request holds one until its batch has run, so a swapped-out
/// model is disposed exactly when its last in-flight request finishes.
/// </summary>
internal sealed class LoadedOnnxModel
{
    private readonly ILogger _logger;
    private int _references = 1;

    private LoadedOnnxModel(string path, OnnxModelInfo info, InferenceSession fullCatalogue, InferenceSession? candidates, InferenceSession? itemScores, string executionProvider, ILogger logger)
    {
        Path = path;
        Info = info;
        FullCatalogue = fullCatalogue;
        Candidates = candidates;
        ItemScores = itemScores;
        ExecutionProvider = executionProvider;
        _logger = logger;
    }

    public string Path { get; }
    public OnnxModelInfo Info { get; }
    public InferenceSession FullCatalogue { get; }
    public InferenceSession? Candidates { get; }

    /// <summary>The serving graph that full-catalogue requests use when present (contract 2, <c>x.scores.onnx</c>).</summary>
    public InferenceSession? ItemScores { get; }
    public string ExecutionProvider { get; }
    public int ItemCount => Info.ItemCount;
    public int Dimension => Info.Dimension;
    public bool IsDisposed => Volatile.Read(ref _references) == 0;

    /// <summary>Takes a reference unless the model has already been disposed.</summary>
    public bool TryAcquire()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current) return true;
            current = seen;
        }
        return false;
    }

    public void Release()
    {
        var remaining = Interlocked.Decrement(ref _references);
        if (remaining == 0)
        {
            FullCatalogue.Dispose();
            Candidates?.Dispose();
            ItemScores?.Dispose();
            Log.ModelDisposed(_logger, Info.Version, Path);
        }
        else if (remaining < 0)
        {
            throw new InvalidOperationException($"Model {Info.Version} was released more often than acquired.");
        }
    }

    /// <summary>
    /// Loads and checks a model file and its candidate sibling. Everything that could make a later request fail is
    /// tried here (metadata, signature, expectations, one real inference), so a bad file is refused before it serves.
    /// </summary>
    public static LoadedOnnxModel Load(string path, ScorerOptions options, ModelExpectation? expectation, ILogger logger)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        var (fullSession, provider) = OpenSession(fullPath, options, logger);
        InferenceSession? candidateSession = null;
        InferenceSession? itemScoresSession = null;
        try
        {
            var info = ReadInfo(fullPath, fullSession, OnnxScoringGraph.FullCatalogue);
            CheckExpectation(fullPath, info, expectation);
            CheckSignature(fullPath, fullSession, info);
            SmokeTest(fullPath, fullSession, info, candidates: false);

            var candidatesPath = OnnxContract.CandidatesPathFor(fullPath);
            if (File.Exists(candidatesPath))
            {
                (candidateSession, _) = OpenSession(candidatesPath, options, logger);
                var candidateInfo = ReadInfo(candidatesPath, candidateSession, OnnxScoringGraph.Candidates);
                CheckSibling(candidatesPath, candidateInfo, info);
                CheckSignature(candidatesPath, candidateSession, candidateInfo);
                SmokeTest(candidatesPath, candidateSession, candidateInfo, candidates: true);
            }
            else
            {
                Log.NoCandidateGraph(logger, info.Version, candidatesPath);
            }

            var itemScoresPath = OnnxContract.ItemScoresPathFor(fullPath);
            var useItemScores = options.UseItemScoresGraph ?? provider == ExecutionProviders.Cpu;
            if (useItemScores && info.Dimension > 0 && File.Exists(itemScoresPath))
            {
                (itemScoresSession, _) = OpenSession(itemScoresPath, options, logger);
                var itemScoresInfo = ReadInfo(itemScoresPath, itemScoresSession, OnnxScoringGraph.ItemScores);
                CheckSibling(itemScoresPath, itemScoresInfo, info);
                CheckItemScoresSignature(itemScoresPath, itemScoresSession, itemScoresInfo);
                SmokeTestItemScores(itemScoresPath, itemScoresSession, itemScoresInfo, fullSession, info);
            }
            else if (useItemScores && info.Dimension > 0)
            {
                Log.NoItemScoresGraph(logger, info.Version, itemScoresPath);
            }
            Log.ModelLoaded(logger, info.Kind.ToString(), info.Version, info.ItemCount, info.Dimension, provider, fullPath);
            return new LoadedOnnxModel(fullPath, info, fullSession, candidateSession, itemScoresSession, provider, logger);
        }
        catch
        {
            fullSession.Dispose();
            candidateSession?.Dispose();
            itemScoresSession?.Dispose();
            throw;
        }
    }

    private static void CheckSibling(string path, OnnxModelInfo sibling, OnnxModelInfo info)
    {
        if (sibling.Version != info.Version || sibling.ItemIdChecksum != info.ItemIdChecksum
            || sibling.ItemCount != info.ItemCount || sibling.Dimension != info.Dimension)
        {
            throw new ScoringModelException(path,
                $"it belongs to model {sibling.Version} ({sibling.ItemCount} items), not to {info.Version} ({info.ItemCount} items) beside it.");
        }
    }

    private static (InferenceSession Session, string Provider) OpenSession(string path, ScorerOptions options, ILogger logger)
    {
        if (!File.Exists(path)) throw new ScoringModelException(path, "the file does not exist.");
        var provider = ExecutionProviders.Cpu;
        using (var sessionOptions = CreateSessionOptions(options, logger, ref provider))
        {
            try
            {
                return (new InferenceSession(path, sessionOptions), provider);
            }
            catch (OnnxRuntimeException e) when (provider != ExecutionProviders.Cpu)
            {
                // A CUDA build on a machine without a usable GPU fails here rather than at AppendExecutionProvider_CUDA.
                Log.ProviderFailed(logger, provider, e.Message);
            }
            catch (OnnxRuntimeException e)
            {
                throw new ScoringModelException(path, $"ONNX Runtime cannot load it (malformed or truncated?): {e.Message}", e);
            }
        }
        var cpuOnly = new ScorerOptions
        {
            IntraOpThreads = options.IntraOpThreads,
            InterOpThreads = options.InterOpThreads,
            GraphOptimizationLevel = options.GraphOptimizationLevel,
            AllowSpinning = options.AllowSpinning,
        };
        return OpenSession(path, cpuOnly, logger);
    }

    private static SessionOptions CreateSessionOptions(ScorerOptions options, ILogger logger, ref string provider)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = options.GraphOptimizationLevel,
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = options.InterOpThreads,
        };
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        sessionOptions.AddSessionConfigEntry("session.inter_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        if (options.ExecutionProvider == ScoringExecutionProvider.Cuda)
        {
            var available = OrtEnv.Instance().GetAvailableProviders();
            if (!available.Contains(ExecutionProviders.Cuda))
            {
                // The CPU package throws from AppendExecutionProvider_CUDA instead of falling back, so ask first.
                Log.CudaUnavailable(logger, string.Join(", ", available));
            }
            else
            {
                try
                {
                    using var cudaOptions = new OrtCUDAProviderOptions();
                    cudaOptions.UpdateOptions(new Dictionary<string, string>
                    {
                        ["device_id"] = options.CudaDeviceId.ToString(CultureInfo.InvariantCulture),
                        ["use_tf32"] = options.CudaUseTf32 ? "1" : "0",
                    });
                    sessionOptions.AppendExecutionProvider_CUDA(cudaOptions);
                    provider = ExecutionProviders.Cuda;
                }
                catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
                {
                    Log.ProviderFailed(logger, ExecutionProviders.Cuda, e.Message);
                }
            }
        }
        return sessionOptions;
    }

    private static OnnxModelInfo ReadInfo(string path, InferenceSession session, OnnxScoringGraph expectedGraph)
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

    private static void CheckExpectation(string path, OnnxModelInfo info, ModelExpectation? expectation)
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

    private static void CheckSignature(string path, InferenceSession session, OnnxModelInfo info)
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

    private static void CheckItemScoresSignature(string path, InferenceSession session, OnnxModelInfo info)
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

    /// <summary>
    /// One user through the serving graph and through the full-catalogue graph beside it: their best items and scores
    /// must agree, or the serving graph (which answers every full-catalogue request) is not the model it claims to be.
    /// </summary>
    private static void SmokeTestItemScores(string path, InferenceSession itemScores, OnnxModelInfo info, InferenceSession fullCatalogue, OnnxModelInfo fullInfo)
    {
        try
        {
            using var buffers = new BatchBuffers();
            var vector = new float[info.Dimension];
            for (var j = 0; j < vector.Length; j++) vector[j] = (j % 3 - 1) * 0.5f;
            var request = new ScoringRequest(vector, 0f, Math.Min(3, info.ItemCount));
            var served = buffers.RunItemScores(itemScores, info, [request], 1)[0];
            var reference = buffers.Run(fullCatalogue, fullInfo, [request], candidates: false)[0];
            for (var i = 0; i < reference.Length; i++)
            {
                if (i >= served.Length || Math.Abs(served[i].Score - reference[i].Score) > 1e-4f * Math.Max(1f, Math.Abs(reference[i].Score)))
                {
                    throw new ScoringModelException(path, "a test inference disagrees with the full-catalogue graph beside it.");
                }
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new ScoringModelException(path, $"a test inference failed: {e.Message}", e);
        }
    }

    private static void SmokeTest(string path, InferenceSession session, OnnxModelInfo info, bool candidates)
    {
        try
        {
            using var buffers = new BatchBuffers();
            var request = new ScoringRequest(new float[info.Dimension], 0f, 1) { Candidates = candidates ? [0] : null };
            var results = buffers.Run(session, info, [request], candidates);
            if (results[0].Length != 1 || results[0][0].Item is var item && (item < 0 || item >= info.ItemCount))
            {
                throw new ScoringModelException(path, "a test inference did not return one valid item.");
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new ScoringModelException(path, $"a test inference failed: {e.Message}", e);
        }
    }
}

internal static class ExecutionProviders
{
    public const string Cpu = "CPUExecutionProvider";
    public const string Cuda = "CUDAExecutionProvider";
}
