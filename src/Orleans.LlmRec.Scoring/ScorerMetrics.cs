using System.Diagnostics.Metrics;

namespace Orleans.LlmRec.Scoring;

/// <summary>
/// The scorer's instruments, on the meter <c>Orleans.LlmRec.Scoring</c> (one per process: the scorer is built outside
/// any DI container): <c>llmrec.scorer.batch.duration</c> (one <c>InferenceSession.Run</c> and its top-k, seconds) and
/// <c>llmrec.scorer.batch.size</c> (requests per batch), both tagged with the execution provider (<c>CPU</c>,
/// <c>CUDA</c>), so a dashboard tells a GPU silo from a CPU one. The running totals stay in <see cref="ScorerStatistics"/>.
/// </summary>
public static class ScorerMetrics
{
    public const string MeterName = "Orleans.LlmRec.Scoring";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> BatchDuration = Meter.CreateHistogram("llmrec.scorer.batch.duration", "s",
        "Duration of one scoring batch (ONNX Runtime run and top-k selection), by execution provider.", tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });

    private static readonly Histogram<int> BatchSize = Meter.CreateHistogram("llmrec.scorer.batch.size", "{request}",
        "Requests scored together in one batch, by execution provider.", tags: null,
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });

    /// <summary><c>CUDAExecutionProvider</c> → <c>CUDA</c>: the tag value.</summary>
    public static string ProviderTag(string executionProvider) =>
        executionProvider.EndsWith("ExecutionProvider", StringComparison.Ordinal) ? executionProvider[..^"ExecutionProvider".Length] : executionProvider;

    internal static void RecordBatch(string provider, int size, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("provider", provider);
        BatchDuration.Record(duration.TotalSeconds, tag);
        BatchSize.Record(size, tag);
    }
}
