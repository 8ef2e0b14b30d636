using BenchmarkDotNet.Attributes;
using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>
/// Full-catalogue scoring with top-20: ONNX Runtime through <see cref="OnnxScorer"/> (its hot path: the contract-2
/// serving graph + managed top-k; "contract graph" rows force the full-catalogue graph's in-graph mask and TopK, the
/// path before contract 2) against the TensorPrimitives baseline, for one user per call (latency) and for batches of 64 and 256 users (throughput). Batch methods set
/// OperationsPerInvoke to the batch size, so every row reports time per user: users/s = 1 s / that time.
/// </summary>
public class ScoringBenchmarks
{
    private const int RequestPool = 256;

    private BenchmarkCatalogue _catalogue = null!;
    private ScoringRequest[] _requests = [];
    private ScoringRequest[] _batch64 = [];
    private OnnxScorer? _scorer;
    private float[] _scores = [];
    private int _next;

    [Params(BenchmarkCatalogue.MovieLensSmallItems, BenchmarkCatalogue.LargeItems)]
    public int Items { get; set; }

    /// <summary>ONNX Runtime intra-op threads, and the workers the baseline splits its work between.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup(Targets = [nameof(OnnxSingleUser)])]
    public void SetUpOnnxSingleUser() => SetUp(BenchmarkCatalogue.SingleUserOptions(Threads));

    [GlobalSetup(Targets = [nameof(OnnxBatch64)])]
    public void SetUpOnnxBatch64() => SetUp(BenchmarkCatalogue.BatchOptions(Threads, 64));

    [GlobalSetup(Targets = [nameof(OnnxContractBatch64)])]
    public void SetUpOnnxContractBatch64() => SetUp(BenchmarkCatalogue.BatchOptions(Threads, 64, contractGraph: true));

    [GlobalSetup(Targets = [nameof(OnnxContractSingleUser)])]
    public void SetUpOnnxContractSingleUser() => SetUp(BenchmarkCatalogue.SingleUserOptions(Threads, contractGraph: true));

    [GlobalSetup(Targets = [nameof(OnnxBatch256)])]
    public void SetUpOnnxBatch256() => SetUp(BenchmarkCatalogue.BatchOptions(Threads, 256));

    [GlobalSetup(Targets = [nameof(BaselineSingleUser), nameof(BaselineBatch64), nameof(BaselineBatch256)])]
    public void SetUpBaseline() => SetUp(null);

    [GlobalCleanup]
    public void CleanUp()
    {
        if (_scorer is not null)
        {
            // Shows that a batch call really was one inference: requests / batches should equal the batch size.
            var statistics = _scorer.Statistics;
            Console.WriteLine($"// OnnxScorer: {statistics.Requests} requests in {statistics.Batches} inference runs, largest batch {statistics.LargestBatch}");
        }
        _scorer?.Dispose();
        _scorer = null;
    }

    [Benchmark(Description = "ONNX single user")]
    public async Task<ScoringResult> OnnxSingleUser() => await _scorer!.ScoreAsync(NextRequest()).ConfigureAwait(false);

    [Benchmark(Description = "Baseline single user")]
    public ScoredItem[] BaselineSingleUser() => _catalogue.Baseline.Score(NextRequest(), _scores, Threads);

    [Benchmark(Description = "ONNX batch 64", OperationsPerInvoke = 64)]
    public Task<IReadOnlyList<ScoringResult>> OnnxBatch64() => _scorer!.ScoreBatchAsync(_batch64);

    [Benchmark(Description = "ONNX contract graph single user")]
    public async Task<ScoringResult> OnnxContractSingleUser() => await _scorer!.ScoreAsync(NextRequest()).ConfigureAwait(false);

    [Benchmark(Description = "ONNX contract graph batch 64", OperationsPerInvoke = 64)]
    public Task<IReadOnlyList<ScoringResult>> OnnxContractBatch64() => _scorer!.ScoreBatchAsync(_batch64);

    [Benchmark(Description = "Baseline batch 64", OperationsPerInvoke = 64)]
    public ScoredItem[][] BaselineBatch64() => _catalogue.Baseline.ScoreBatch(_batch64, _scores, Threads);

    [Benchmark(Description = "ONNX batch 256", OperationsPerInvoke = 256)]
    public Task<IReadOnlyList<ScoringResult>> OnnxBatch256() => _scorer!.ScoreBatchAsync(_requests);

    [Benchmark(Description = "Baseline batch 256", OperationsPerInvoke = 256)]
    public ScoredItem[][] BaselineBatch256() => _catalogue.Baseline.ScoreBatch(_requests, _scores, Threads);

    private void SetUp(ScorerOptions? onnxOptions)
    {
        _catalogue = BenchmarkCatalogue.Get(Items);
        _requests = _catalogue.CreateRequests(RequestPool, seed: 7);
        _batch64 = _requests[..64];
        // Only the baseline writes scores here; ONNX Runtime writes its own [batch, items] output.
        _scores = new float[(onnxOptions is null ? RequestPool : 1) * Items];
        if (onnxOptions is not null)
        {
            _scorer = OnnxScorer.Load(_catalogue.OnnxPath, onnxOptions);
            if (_scorer.UsesItemScoresGraph != onnxOptions.UseItemScoresGraph)
            {
                throw new InvalidOperationException($"The scorer {(_scorer.UsesItemScoresGraph ? "uses" : "does not use")} the serving graph; this case measures the other path.");
            }
            // The two engines must agree before their speeds mean anything.
            Agreement.Check(_catalogue, _scorer, _requests[..8]);
        }
    }

    private ScoringRequest NextRequest()
    {
        var request = _requests[_next];
        _next = (_next + 1) % _requests.Length;
        return request;
    }
}
