using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>
/// Where a run of the exported graph goes: ONNX Runtime's own profiler times every node (Gemm, Add, Where, TopK,
/// and whatever the optimiser fused them into); the remainder of the wall time is input binding and the managed
/// call. The serving graph (contract 2: Pad + MatMul) is profiled beside the full-catalogue graph. Also times each
/// batch size of the full-catalogue graph with and without fetching the [batch, items] <c>scores</c> output.
/// </summary>
public static class ProfileRun
{
    /// <summary>Usage: <c>profile [--items N[,N]] [--threads N[,N]] [--batches 1,64,256]</c>.</summary>
    public static int Run(string[] args)
    {
        var itemCounts = Arguments.IntList(args, "--items", [BenchmarkCatalogue.MovieLensSmallItems, BenchmarkCatalogue.LargeItems]);
        var threadCounts = Arguments.IntList(args, "--threads", [1, 2]);
        var batches = Arguments.IntList(args, "--batches", [1, 64, 256]);
        var folder = Path.Combine(Path.GetTempPath(), $"llmrec-profile-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        Console.WriteLine($"# ONNX Runtime node profile, d = {BenchmarkCatalogue.Dimension}, k = {BenchmarkCatalogue.TopK}; load average before: {Machine.LoadAverage()}");
        Console.WriteLine();
        Console.WriteLine("| items | threads | batch | graph | run µs (wall) | GFLOP/s of the dot products (wall) | node µs per run, by operator (share of wall) |");
        Console.WriteLine("| ---: | ---: | ---: | --- | ---: | ---: | --- |");
        try
        {
            foreach (var items in itemCounts)
            {
                var catalogue = BenchmarkCatalogue.Get(items);
                var pool = catalogue.CreateRequests(256, seed: 13);
                foreach (var threads in threadCounts)
                {
                    foreach (var batch in batches)
                    {
                        var requests = pool[..batch];
                        var runs = RunsFor(items, batch);
                        foreach (var itemScores in new[] { false, true })
                        {
                            var path = itemScores ? catalogue.ItemScoresPath : catalogue.OnnxPath;
                            using var session = new DirectSession(path, threads, Path.Combine(folder, $"n{items}-t{threads}-b{batch}-{itemScores}"), itemScores: itemScores);
                            for (var i = 0; i < 3; i++) session.Run(requests);
                            var started = Stopwatch.GetTimestamp();
                            for (var i = 0; i < runs; i++) session.Run(requests);
                            var wall = Stopwatch.GetElapsedTime(started).TotalMicroseconds / runs;
                            var profilePath = session.EndProfiling();
                            var byOperator = SumNodeTimes(profilePath, warmUpRuns: 3);
                            File.Delete(profilePath);
                            var breakdown = string.Join(", ", byOperator.OrderByDescending(p => p.Value)
                                .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F0} ({p.Value / wall:P0})")));
                            var gflops = 2.0 * items * (BenchmarkCatalogue.Dimension + (itemScores ? 1 : 0)) * batch / (wall * 1e3);
                            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                                $"| {items:N0} | {threads} | {batch} | {(itemScores ? "serving (MatMul only)" : "contract full catalogue")} | {wall:F0} | {gflops:F0} | {breakdown} |"));
                        }
                    }
                }
            }
            Console.WriteLine();
            Console.WriteLine("| items | threads | batch | run µs, top-k outputs only | run µs, also fetching scores |");
            Console.WriteLine("| ---: | ---: | ---: | ---: | ---: |");
            foreach (var items in itemCounts)
            {
                var catalogue = BenchmarkCatalogue.Get(items);
                var pool = catalogue.CreateRequests(256, seed: 13);
                foreach (var threads in threadCounts)
                {
                    foreach (var batch in batches)
                    {
                        var requests = pool[..batch];
                        var runs = RunsFor(items, batch);
                        double Time(bool fetchScores)
                        {
                            using var session = new DirectSession(catalogue.OnnxPath, threads, fetchScores: fetchScores);
                            for (var i = 0; i < 3; i++) session.Run(requests);
                            var started = Stopwatch.GetTimestamp();
                            for (var i = 0; i < runs; i++) session.Run(requests);
                            return Stopwatch.GetElapsedTime(started).TotalMicroseconds / runs;
                        }
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {items:N0} | {threads} | {batch} | {Time(false):F0} | {Time(true):F0} |"));
                    }
                }
            }
        }
        finally
        {
            BenchmarkCatalogue.DeleteFiles();
            Directory.Delete(folder, recursive: true);
        }
        Console.WriteLine();
        Console.WriteLine($"# load average after: {Machine.LoadAverage()}");
        return 0;
    }

    /// <summary>About 1.5 × 10^9 multiply-adds' worth of runs per configuration, between 20 and 2,000.</summary>
    private static int RunsFor(int items, int batch) => (int)Math.Clamp(1.5e9 / ((double)items * BenchmarkCatalogue.Dimension * batch), 20, 2_000);

    /// <summary>
    /// Microseconds per run spent in each operator, from an ONNX Runtime profile (Chrome trace JSON), counting only
    /// the runs after the first <paramref name="warmUpRuns"/> (the first runs also size the memory arena).
    /// </summary>
    private static Dictionary<string, double> SumNodeTimes(string profilePath, int warmUpRuns)
    {
        using var stream = File.OpenRead(profilePath);
        using var document = JsonDocument.Parse(stream);
        var events = document.RootElement.EnumerateArray().ToList();
        var runStarts = events
            .Where(e => e.TryGetProperty("cat", out var c) && c.GetString() == "Session" && e.TryGetProperty("name", out var n) && n.GetString() == "model_run")
            .Select(e => e.GetProperty("ts").GetDouble())
            .Order()
            .ToList();
        if (runStarts.Count <= warmUpRuns) throw new InvalidDataException($"The profile {profilePath} holds {runStarts.Count} runs.");
        var measuredFrom = runStarts[warmUpRuns];
        var measuredRuns = runStarts.Count - warmUpRuns;
        var totals = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var trace in events)
        {
            if (!trace.TryGetProperty("cat", out var category) || category.GetString() != "Node") continue;
            if (!trace.TryGetProperty("name", out var name) || name.GetString() is not { } eventName || !eventName.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
            if (trace.GetProperty("ts").GetDouble() < measuredFrom) continue;
            var op = trace.TryGetProperty("args", out var properties) && properties.TryGetProperty("op_name", out var opName) ? opName.GetString() ?? "?" : "?";
            totals[op] = totals.GetValueOrDefault(op) + trace.GetProperty("dur").GetDouble();
        }
        foreach (var op in totals.Keys.ToList()) totals[op] /= measuredRuns;
        return totals;
    }
}
