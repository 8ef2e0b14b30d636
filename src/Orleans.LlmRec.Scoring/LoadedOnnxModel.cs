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
        ProviderTag = ScorerMetrics.ProviderTag(executionProvider);
        _logger = logger;
    }

    public string Path { get; }
    public OnnxModelInfo Info { get; }
    public InferenceSession FullCatalogue { get; }
    public InferenceSession? Candidates { get; }

    /// <summary>The serving graph that full-catalogue requests use when present (contract 2, <c>x.scores.onnx</c>).</summary>
    public InferenceSession? ItemScores { get; }
    public string ExecutionProvider { get; }

    /// <summary><see cref="ExecutionProvider"/> as the scorer's metrics tag it (<c>CPU</c>, <c>CUDA</c>).</summary>
    public string ProviderTag { get; }
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
        var (fullSession, provider) = InferenceSessionFactory.OpenSession(fullPath, options, logger);
        InferenceSession? candidateSession = null;
        InferenceSession? itemScoresSession = null;
        try
        {
            var info = ModelChecks.ReadInfo(fullPath, fullSession, OnnxScoringGraph.FullCatalogue);
            ModelChecks.CheckExpectation(fullPath, info, expectation);
            ModelChecks.CheckSignature(fullPath, fullSession, info);
            ModelSmokeTests.SmokeTest(fullPath, fullSession, info, candidates: false);

            var candidatesPath = OnnxContract.CandidatesPathFor(fullPath);
            if (File.Exists(candidatesPath))
            {
                (candidateSession, _) = InferenceSessionFactory.OpenSession(candidatesPath, options, logger);
                var candidateInfo = ModelChecks.ReadInfo(candidatesPath, candidateSession, OnnxScoringGraph.Candidates);
                ModelChecks.CheckSibling(candidatesPath, candidateInfo, info);
                ModelChecks.CheckSignature(candidatesPath, candidateSession, candidateInfo);
                ModelSmokeTests.SmokeTest(candidatesPath, candidateSession, candidateInfo, candidates: true);
            }
            else
            {
                Log.NoCandidateGraph(logger, info.Version, candidatesPath);
            }

            var itemScoresPath = OnnxContract.ItemScoresPathFor(fullPath);
            var useItemScores = options.UseItemScoresGraph ?? provider == ExecutionProviders.Cpu;
            if (useItemScores && info.Dimension > 0 && File.Exists(itemScoresPath))
            {
                (itemScoresSession, _) = InferenceSessionFactory.OpenSession(itemScoresPath, options, logger);
                var itemScoresInfo = ModelChecks.ReadInfo(itemScoresPath, itemScoresSession, OnnxScoringGraph.ItemScores);
                ModelChecks.CheckSibling(itemScoresPath, itemScoresInfo, info);
                ModelChecks.CheckItemScoresSignature(itemScoresPath, itemScoresSession, itemScoresInfo);
                ModelSmokeTests.SmokeTestItemScores(itemScoresPath, itemScoresSession, itemScoresInfo, fullSession, info);
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
}
