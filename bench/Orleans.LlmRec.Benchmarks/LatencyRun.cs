using System.Diagnostics;
using System.Globalization;
using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>
/// Tail latency of single-user requests, which BenchmarkDotNet's summary (mean, median, P95) does not give: after a
/// warm-up, <c>requests</c> sequential calls, each timed with <see cref="Stopwatch"/>, for the scorer as a service
/// calls it (<see cref="OnnxScorer.ScoreAsync"/>, batch size 1, no batch wait), the bare
/// <see cref="DirectSession"/> (ONNX Runtime without the scorer's queue) and the TensorPrimitives baseline.
/// </summary>
public static class LatencyRun
{
    private const int WarmUpRequests = 1_000;

    /// <summary>Usage: <c>latency [--requests N] [--items N[,N]] [--threads N[,N]]</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var requests = Arguments.Int(args, "--requests", 20_000);
        var itemCounts = Arguments.IntList(args, "--items", [BenchmarkCatalogue.MovieLensSmallItems, BenchmarkCatalogue.LargeItems]);
        var threadCounts = Arguments.IntList(args, "--threads", [1, 2]);
        Console.WriteLine($"# Single-user latency: {requests:N0} sequential requests after {WarmUpRequests:N0} warm-up, d = {BenchmarkCatalogue.Dimension}, k = {BenchmarkCatalogue.TopK}, {BenchmarkCatalogue.ExcludedPerRequest} excluded items per request");
        Console.WriteLine($"# load average before: {Machine.LoadAverage()}");
        Console.WriteLine();
        Console.WriteLine("| items | threads | engine | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | mean µs |");
        Console.WriteLine("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        try
        {
            foreach (var items in itemCounts)
            {
                var catalogue = BenchmarkCatalogue.Get(items);
                var pool = catalogue.CreateRequests(1024, seed: 11);
                foreach (var threads in threadCounts)
                {
                    foreach (var contractGraph in new[] { false, true })
                    {
                        await using var scorer = OnnxScorer.Load(catalogue.OnnxPath, BenchmarkCatalogue.SingleUserOptions(threads, contractGraph));
                        if (scorer.UsesItemScoresGraph == contractGraph) throw new InvalidOperationException("The scorer does not serve the path this row measures.");
                        Agreement.Check(catalogue, scorer, pool[..8]);
                        var samples = await MeasureAsync(requests, async i => await scorer.ScoreAsync(pool[i % pool.Length]).ConfigureAwait(false)).ConfigureAwait(false);
                        Print(items, threads, contractGraph ? "ONNX via OnnxScorer, contract graph (in-graph mask + TopK)" : "ONNX via OnnxScorer, serving graph + managed top-k", samples);
                    }
                    using (var session = new DirectSession(catalogue.OnnxPath, threads))
                    {
                        var single = new ScoringRequest[1];
                        var samples = await MeasureAsync(requests, i =>
                        {
                            single[0] = pool[i % pool.Length];
                            session.Run(single);
                            return Task.CompletedTask;
                        }).ConfigureAwait(false);
                        Print(items, threads, "ONNX session.Run direct", samples);
                    }
                    if (threads > 1)
                    {
                        using var session = new DirectSession(catalogue.OnnxPath, threads, allowSpinning: false);
                        var single = new ScoringRequest[1];
                        var samples = await MeasureAsync(requests, i =>
                        {
                            single[0] = pool[i % pool.Length];
                            session.Run(single);
                            return Task.CompletedTask;
                        }).ConfigureAwait(false);
                        Print(items, threads, "ONNX session.Run direct, no spinning", samples);
                    }
                    var scores = new float[items];
                    var baselineSamples = await MeasureAsync(requests, i =>
                    {
                        catalogue.Baseline.Score(pool[i % pool.Length], scores, threads);
                        return Task.CompletedTask;
                    }).ConfigureAwait(false);
                    Print(items, threads, "TensorPrimitives baseline", baselineSamples);
                }
            }
        }
        finally
        {
            BenchmarkCatalogue.DeleteFiles();
        }
        Console.WriteLine();
        Console.WriteLine($"# load average after: {Machine.LoadAverage()}");
        return 0;
    }

    /// <summary>Times <paramref name="requests"/> sequential calls after <paramref name="warmUp"/> untimed ones; samples in µs, sorted.</summary>
    internal static async Task<double[]> MeasureAsync(int requests, Func<int, Task> call, int warmUp = WarmUpRequests)
    {
        for (var i = 0; i < warmUp; i++) await call(i).ConfigureAwait(false);
        var samples = new double[requests];
        for (var i = 0; i < requests; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await call(i).ConfigureAwait(false);
            samples[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }
        Array.Sort(samples);
        return samples;
    }

    private static void Print(int items, int threads, string engine, double[] sorted)
    {
        static string F(double value) => value.ToString(value < 100 ? "F1" : "F0", CultureInfo.InvariantCulture);
        Console.WriteLine(
            $"| {items:N0} | {threads} | {engine} | {F(Percentile(sorted, 0.50))} | {F(Percentile(sorted, 0.90))} | {F(Percentile(sorted, 0.99))} | " +
            $"{F(Percentile(sorted, 0.999))} | {F(sorted[^1])} | {F(sorted.Average())} |");
    }

    /// <summary>Nearest-rank percentile of ascending samples.</summary>
    internal static double Percentile(double[] sorted, double fraction)
    {
        var rank = (int)Math.Ceiling(fraction * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
