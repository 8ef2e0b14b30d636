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
    }

    [Benchmark(Description = "Top-20 of one row (vectorised threshold + heap)")]
    public ScoredItem[] SelectTop20() => TopKSelector.Select(_row, BenchmarkCatalogue.TopK);
}
