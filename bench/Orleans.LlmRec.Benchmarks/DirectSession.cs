using Microsoft.ML.OnnxRuntime;
using Orleans.LlmRec.Recommendation.Onnx;
using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>
/// An <see cref="InferenceSession"/> on an exported full-catalogue graph, fed the way <c>OnnxScorer</c> feeds it
/// (pinned input arrays, the same inputs and outputs) but called directly on the caller's thread. The difference
/// to <see cref="OnnxScorer"/> is the scorer's own cost (channel, task hand-off); the profile mode uses it to see
/// where ONNX Runtime spends a run, node by node.
/// </summary>
public sealed class DirectSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _outputNames;
    private readonly int _itemCount;
    private readonly int _dimension;
    private readonly long[] _k = new long[1];
    private float[] _userVectors = [];
    private float[] _userBias = [];
    private bool[] _mask = [];
    private readonly bool _itemScores;

    /// <param name="path">An exported full-catalogue graph.</param>
    /// <param name="intraOpThreads">ONNX Runtime intra-op threads (0 = one per core).</param>
    /// <param name="profilePrefix">When set, ONNX Runtime writes a per-node profile with this file name prefix.</param>
    /// <param name="fetchScores">Also copy the [batch, items] <c>scores</c> output out, which the scorer does not.</param>
    /// <param name="allowSpinning">
    /// ONNX Runtime's default lets idle intra-op threads spin for work; off, they sleep, which matters when the cores
    /// are shared with other processes. <c>OnnxScorer</c> keeps the default.
    /// </param>
    /// <param name="itemScores">
    /// <paramref name="path"/> is the serving graph (contract 2): only user vectors go in, only <c>item_scores</c>
    /// comes out (into ONNX Runtime's own buffer; no exclusions or top-k are done here).
    /// </param>
    public DirectSession(string path, int intraOpThreads, string? profilePrefix = null, bool fetchScores = false, bool allowSpinning = true, bool itemScores = false)
    {
        _itemScores = itemScores;
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
        };
        if (!allowSpinning) options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (profilePrefix is not null)
        {
            // The prefix first: the EnableProfiling setter hands ONNX Runtime the prefix set at that moment.
            options.ProfileOutputPathPrefix = profilePrefix;
            options.EnableProfiling = true;
        }
        _session = new InferenceSession(path, options);
        var info = OnnxModelInfo.FromMetadata(_session.ModelMetadata.CustomMetadataMap);
        _itemCount = info.ItemCount;
        _dimension = info.Dimension;
        _outputNames = itemScores ? [OnnxContract.ItemScoresOutput] : fetchScores
            ? [OnnxContract.TopScoresOutput, OnnxContract.TopItemsOutput, OnnxContract.ScoresOutput]
            : [OnnxContract.TopScoresOutput, OnnxContract.TopItemsOutput];
    }

    /// <summary>Runs one inference for <paramref name="requests"/> and returns the top item of the first row.</summary>
    public long Run(IReadOnlyList<ScoringRequest> requests)
    {
        var batch = requests.Count;
        Grow(ref _userVectors, batch * _dimension);
        if (_itemScores)
        {
            for (var r = 0; r < batch; r++) requests[r].UserVector.Span.CopyTo(_userVectors.AsSpan(r * _dimension, _dimension));
            using var vectors = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _userVectors.AsMemory(0, batch * _dimension), [batch, _dimension]);
            using var scores = _session.Run(_runOptions, [OnnxContract.UserVectorsInput], [vectors], _outputNames);
            return (long)scores[0].GetTensorDataAsSpan<float>()[0];
        }
        Grow(ref _userBias, batch);
        Grow(ref _mask, batch * _itemCount);
        var mask = _mask.AsSpan(0, batch * _itemCount);
        mask.Clear();
        var k = 1;
        for (var r = 0; r < batch; r++)
        {
            requests[r].UserVector.Span.CopyTo(_userVectors.AsSpan(r * _dimension, _dimension));
            _userBias[r] = requests[r].UserBias;
            foreach (var item in requests[r].ExcludedItems.Span) mask[r * _itemCount + item] = true;
            k = Math.Max(k, requests[r].K);
        }
        _k[0] = k;
        using var userVectors = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _userVectors.AsMemory(0, batch * _dimension), [batch, _dimension]);
        using var userBias = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _userBias.AsMemory(0, batch), [batch]);
        using var exclusionMask = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _mask.AsMemory(0, batch * _itemCount), [batch, _itemCount]);
        using var kValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _k.AsMemory(), [1]);
        using var outputs = _session.Run(
            _runOptions,
            [OnnxContract.UserVectorsInput, OnnxContract.UserBiasInput, OnnxContract.ExclusionMaskInput, OnnxContract.KInput],
            [userVectors, userBias, exclusionMask, kValue],
            _outputNames);
        return outputs[1].GetTensorDataAsSpan<long>()[0];
    }

    /// <summary>
    /// The serving path without the scorer's queue: one run of the serving graph, then each row's top k with its
    /// exclusions as a bitmap (what <c>OnnxScorer</c> does after <c>session.Run</c>). Returns the best item of row 0.
    /// </summary>
    public int RunAndSelect(IReadOnlyList<ScoringRequest> requests)
    {
        if (!_itemScores) throw new InvalidOperationException("RunAndSelect needs the serving graph.");
        var batch = requests.Count;
        Grow(ref _userVectors, batch * _dimension);
        for (var r = 0; r < batch; r++) requests[r].UserVector.Span.CopyTo(_userVectors.AsSpan(r * _dimension, _dimension));
        using var vectors = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _userVectors.AsMemory(0, batch * _dimension), [batch, _dimension]);
        using var outputs = _session.Run(_runOptions, [OnnxContract.UserVectorsInput], [vectors], _outputNames);
        var scores = outputs[0].GetTensorDataAsSpan<float>();
        var excluded = new ulong[(_itemCount + 63) / 64];
        var best = -1;
        for (var r = 0; r < batch; r++)
        {
            var items = requests[r].ExcludedItems.Span;
            foreach (var item in items) excluded[item >> 6] |= 1UL << item;
            var top = TopKSelector.Select(scores.Slice(r * _itemCount, _itemCount), requests[r].K, requests[r].UserBias, excluded);
            foreach (var item in items) excluded[item >> 6] = 0;
            if (r == 0) best = top[0].Item;
        }
        return best;
    }

    /// <summary>Stops profiling and returns the profile file ONNX Runtime wrote.</summary>
    public string EndProfiling() => _session.EndProfiling();

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }

    private static void Grow<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new T[length];
    }
}
