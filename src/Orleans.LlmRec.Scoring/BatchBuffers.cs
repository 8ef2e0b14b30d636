using Microsoft.ML.OnnxRuntime;
using Orleans.LlmRec.Recommendation.Onnx;

namespace Orleans.LlmRec.Scoring;

/// <summary>
/// The input arrays one batch loop fills for each inference run. They grow to the largest batch seen and are then
/// reused, so a steady stream of batches allocates no input tensors: ONNX Runtime reads the pinned arrays in place.
/// Not thread-safe: one instance per batch loop.
/// </summary>
internal sealed class BatchBuffers : IDisposable
{
    private static readonly string[] OutputNames = [OnnxContract.TopScoresOutput, OnnxContract.TopItemsOutput];
    private static readonly string[] ItemScoresInputNames = [OnnxContract.UserVectorsInput];
    private static readonly string[] ItemScoresOutputNames = [OnnxContract.ItemScoresOutput];

    private readonly RunOptions _runOptions = new();
    private readonly long[] _k = new long[1];
    private float[] _userVectors = [];
    private float[] _userBias = [];
    private bool[] _mask = [];
    private long[] _candidates = [];
    private BoundItemScores? _bound;

    /// <summary>Runs one batch; all requests must target <paramref name="session"/>'s graph (full or candidates).</summary>
    public ScoredItem[][] Run(InferenceSession session, OnnxModelInfo info, IReadOnlyList<ScoringRequest> requests, bool candidates)
    {
        var batch = requests.Count;
        var d = info.Dimension;
        Grow(ref _userVectors, batch * d);
        Grow(ref _userBias, batch);
        var maxK = 0;
        for (var r = 0; r < batch; r++)
        {
            var request = requests[r];
            request.UserVector.Span.CopyTo(_userVectors.AsSpan(r * d, d));
            _userBias[r] = request.UserBias;
            maxK = Math.Max(maxK, request.K);
        }
        var scoredAxis = candidates ? FillCandidates(requests) : FillFullCatalogueMask(requests, info.ItemCount);
        _k[0] = Math.Min(maxK, scoredAxis);

        var names = new List<string>(5);
        var values = new List<OrtValue>(5);
        try
        {
            if (d > 0)
            {
                names.Add(OnnxContract.UserVectorsInput);
                values.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _userVectors.AsMemory(0, batch * d), [batch, d]));
            }
            names.Add(OnnxContract.UserBiasInput);
            values.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _userBias.AsMemory(0, batch), [batch]));
            if (candidates)
            {
                names.Add(OnnxContract.CandidatesInput);
                values.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _candidates.AsMemory(0, batch * scoredAxis), [batch, scoredAxis]));
            }
            names.Add(OnnxContract.ExclusionMaskInput);
            values.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _mask.AsMemory(0, batch * scoredAxis), [batch, scoredAxis]));
            names.Add(OnnxContract.KInput);
            values.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _k.AsMemory(), [1]));

            using var outputs = session.Run(_runOptions, names, values, OutputNames);
            return ReadResults(requests, (int)_k[0], outputs[0].GetTensorDataAsSpan<float>(), outputs[1].GetTensorDataAsSpan<long>());
        }
        finally
        {
            foreach (var value in values) value.Dispose();
        }
    }

    /// <summary>
    /// Runs one full-catalogue batch through the serving graph (contract 2): the user vectors go in from a reused,
    /// pinned array (bound once per batch size), <c>item_scores</c> [batch, items] comes out in ONNX Runtime's own arena
    /// buffer and is read in place (no copy); each row then gets its top k selected (<see cref="TopKSelector"/>),
    /// skipping excluded items, and the user bias added to the k kept. Rows are split between up to
    /// <paramref name="parallelism"/> workers. (A pre-allocated output array passed to <c>Run</c> was tried and
    /// measured slower at large catalogues and no faster at small ones: bench/history/.)
    /// </summary>
    public ScoredItem[][] RunItemScores(InferenceSession session, OnnxModelInfo info, IReadOnlyList<ScoringRequest> requests, int parallelism)
    {
        var batch = requests.Count;
        var d = info.Dimension;
        var n = info.ItemCount;
        var bound = Bind(batch, d);
        for (var r = 0; r < batch; r++) requests[r].UserVector.Span.CopyTo(_userVectors.AsSpan(r * d, d));
        using var outputs = session.Run(_runOptions, ItemScoresInputNames, bound.Inputs, ItemScoresOutputNames);
        var output = outputs[0];

        var results = new ScoredItem[batch][];
        void SelectRows(int first, int end)
        {
            var scores = output.GetTensorDataAsSpan<float>();
            // Exclusions as a bitmap the selection consults only for items that beat its threshold: n / 8 bytes,
            // in L1, set and cleared per row. Writing -inf into the row instead costs a cache miss per excluded item.
            var excluded = new ulong[(n + 63) / 64];
            for (var r = first; r < end; r++)
            {
                var request = requests[r];
                var items = request.ExcludedItems.Span;
                foreach (var item in items) excluded[item >> 6] |= 1UL << item;
                results[r] = TopKSelector.Select(scores.Slice(r * n, n), Math.Min(request.K, n), request.UserBias, excluded);
                foreach (var item in items) excluded[item >> 6] = 0;
            }
        }
        parallelism = Math.Min(parallelism, batch);
        if (parallelism <= 1)
        {
            SelectRows(0, batch);
        }
        else
        {
            Parallel.For(0, parallelism, new ParallelOptions { MaxDegreeOfParallelism = parallelism },
                part => SelectRows((int)((long)batch * part / parallelism), (int)((long)batch * (part + 1) / parallelism)));
        }
        return results;
    }

    public void Dispose()
    {
        _bound?.Dispose();
        _runOptions.Dispose();
    }

    /// <summary>
    /// The input tensor of the serving graph for <paramref name="batch"/> rows, over the reused array. Kept while the
    /// batch size and array stay the same, so a steady stream of equal batches creates no input OrtValue.
    /// </summary>
    private BoundItemScores Bind(int batch, int d)
    {
        if (_bound is { } bound && bound.Batch == batch && bound.Dimension == d && ReferenceEquals(bound.UserVectors, _userVectors))
        {
            return bound;
        }
        _bound?.Dispose();
        _bound = null;
        Grow(ref _userVectors, batch * d);
        var inputs = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _userVectors.AsMemory(0, batch * d), [batch, d]);
        _bound = new BoundItemScores(batch, d, _userVectors, [inputs]);
        return _bound;
    }

    private sealed record BoundItemScores(int Batch, int Dimension, float[] UserVectors, OrtValue[] Inputs) : IDisposable
    {
        public void Dispose()
        {
            foreach (var value in Inputs) value.Dispose();
        }
    }

    private int FillFullCatalogueMask(IReadOnlyList<ScoringRequest> requests, int itemCount)
    {
        Grow(ref _mask, requests.Count * itemCount);
        var mask = _mask.AsSpan(0, requests.Count * itemCount);
        mask.Clear();
        for (var r = 0; r < requests.Count; r++)
        {
            var row = mask.Slice(r * itemCount, itemCount);
            foreach (var item in requests[r].ExcludedItems.Span) row[item] = true;
        }
        return itemCount;
    }

    private int FillCandidates(IReadOnlyList<ScoringRequest> requests)
    {
        var width = 1;
        foreach (var request in requests) width = Math.Max(width, request.Candidates!.Length);
        Grow(ref _candidates, requests.Count * width);
        Grow(ref _mask, requests.Count * width);
        for (var r = 0; r < requests.Count; r++)
        {
            ReadOnlySpan<int> candidates = requests[r].Candidates;
            var excluded = requests[r].ExcludedItems;
            HashSet<int>? excludedSet = excluded.Length > 0 ? [.. excluded.Span] : null;
            var row = _candidates.AsSpan(r * width, width);
            var mask = _mask.AsSpan(r * width, width);
            for (var j = 0; j < width; j++)
            {
                if (j < candidates.Length)
                {
                    row[j] = candidates[j];
                    mask[j] = excludedSet?.Contains(candidates[j]) ?? false;
                }
                else
                {
                    // Padding: any valid index will do, the mask keeps it out of the results.
                    row[j] = 0;
                    mask[j] = true;
                }
            }
        }
        return width;
    }

    private static ScoredItem[][] ReadResults(IReadOnlyList<ScoringRequest> requests, int k, ReadOnlySpan<float> topScores, ReadOnlySpan<long> topItems)
    {
        var results = new ScoredItem[requests.Count][];
        for (var r = 0; r < requests.Count; r++)
        {
            var take = Math.Min(requests[r].K, k);
            var items = new List<ScoredItem>(take);
            for (var j = 0; j < take; j++)
            {
                var score = topScores[r * k + j];
                // Sorted best first, so the first masked score means only masked ones follow.
                if (float.IsNegativeInfinity(score)) break;
                items.Add(new ScoredItem((int)topItems[r * k + j], score));
            }
            results[r] = [.. items];
        }
        return results;
    }

    private static void Grow<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new T[Math.Max(length, buffer.Length * 2)];
    }
}
