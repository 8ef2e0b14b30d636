using BenchmarkDotNet.Attributes;
using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>
/// The top-20 selection alone, per user row, to set against ONNX Runtime's TopK node time in the profile mode:
/// it tells what selecting in managed code from the <c>scores</c> output would cost instead.
/// </summary>
public class TopKBenchmarks
{
    private float[] _row = [];
    private float[] _rows = [];
    private ulong[][] _excluded = [];
    private float[] _userBias = [];

    [Params(BenchmarkCatalogue.MovieLensSmallItems, BenchmarkCatalogue.LargeItems)]
    public int Items { get; set; }

    [GlobalSetup]
    public void SetUp()
    {
        var catalogue = BenchmarkCatalogue.Get(Items);
        var request = catalogue.CreateRequests(1, seed: 17)[0];
        _row = new float[Items];
        // A real score row, excluded items at -inf, as the graph's Where leaves it.
        catalogue.Baseline.Score(request, _row);

        // 64 different rows, as the serving path sees a batch: item scores without the user bias, exclusions as bitmaps.
        var requests = catalogue.CreateRequests(Batch, seed: 23);
        _rows = new float[Batch * Items];
        _excluded = new ulong[Batch][];
        _userBias = new float[Batch];
        for (var r = 0; r < Batch; r++)
        {
            var row = _rows.AsSpan(r * Items, Items);
            catalogue.Baseline.Score(new ScoringRequest(requests[r].UserVector, 0f, BenchmarkCatalogue.TopK), row);
            _excluded[r] = new ulong[(Items + 63) / 64];
            foreach (var item in requests[r].ExcludedItems.Span) _excluded[r][item >> 6] |= 1UL << item;
            _userBias[r] = requests[r].UserBias;
        }
    }

    private const int Batch = 64;

    [Benchmark(Description = "Top-20 of each of 64 rows, exclusion bitmaps (serving path)", OperationsPerInvoke = Batch)]
    public ScoredItem[] SelectTop20Batch()
    {
        ScoredItem[] last = [];
        for (var r = 0; r < Batch; r++) last = TopKSelector.Select(_rows.AsSpan(r * Items, Items), BenchmarkCatalogue.TopK, _userBias[r], _excluded[r]);
        return last;
    }

    [Benchmark(Description = "Top-20 of one row (vectorised threshold + heap)")]
    public ScoredItem[] SelectTop20() => TopKSelector.Select(_row, BenchmarkCatalogue.TopK);
}
