using System.Diagnostics;
using System.Globalization;
using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>
/// Batched full-catalogue scoring per user over a range of batch sizes: <see cref="OnnxScorer.ScoreBatchAsync"/> on its
/// hot path (serving graph + managed top-k), the serving graph's MatMul alone (<see cref="DirectSession"/>), and the
/// contract graph (in-graph mask + TopK) through the scorer. Each figure is the best and the median of several
/// trials, so a shared machine's load spikes show as a gap between the two; the FLOP floor is 2 · items · 64 / peak.
/// </summary>
public static class SweepRun
{
    /// <summary>The measured Vector512 FMA peak of one core of the 2-vCPU VM (bench/history/2026-11-lab-notebook.md, "The floor").</summary>
    private const double PeakGflopsPerCore = 268;

    /// <summary>Usage: <c>sweep [--items N[,N]] [--threads N[,N]] [--batches 16,32,64,...] [--trials 7]</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var itemCounts = Arguments.IntList(args, "--items", [BenchmarkCatalogue.MovieLensSmallItems, BenchmarkCatalogue.LargeItems]);
        var threadCounts = Arguments.IntList(args, "--threads", [1]);
        var batches = Arguments.IntList(args, "--batches", [16, 32, 48, 64, 72, 96, 128]);
        var trials = Arguments.Int(args, "--trials", 7);
        Console.WriteLine($"# Batch sweep, d = {BenchmarkCatalogue.Dimension}, k = {BenchmarkCatalogue.TopK}, {BenchmarkCatalogue.ExcludedPerRequest} excluded per user; best / median of {trials} trials; load average before: {Machine.LoadAverage()}");
        Console.WriteLine();
        Console.WriteLine("| items | threads | batch | scorer, serving graph µs/user: best / median wall, median CPU | × FLOP floor (best wall) | MatMul alone µs/user (best wall, median CPU) | MatMul GFLOP/s (best wall) | MatMul + top-k, no queue (best wall, median CPU) | scorer, contract graph µs/user: best / median wall, median CPU |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        try
        {
            foreach (var items in itemCounts)
            {
                var catalogue = BenchmarkCatalogue.Get(items);
                var pool = catalogue.CreateRequests(256, seed: 19);
                foreach (var threads in threadCounts)
                {
                    var floor = catalogue.FlopsPerUser / (PeakGflopsPerCore * 1e3 * threads);
                    foreach (var batch in batches)
                    {
                        var requests = pool[..Math.Min(batch, pool.Length)];
                        // ≈ 0.4 s per trial at ≈ 1.2 ns per item and user.
                        var runs = (int)Math.Clamp(3.3e8 / ((double)items * batch), 10, 2_000);
                        double[] serving, contract, matMul;
                        await using (var scorer = OnnxScorer.Load(catalogue.OnnxPath, BenchmarkCatalogue.BatchOptions(threads, batch)))
                        {
                            if (!scorer.UsesItemScoresGraph) throw new InvalidOperationException("The scorer does not use the serving graph.");
                            Agreement.Check(catalogue, scorer, pool[..8]);
                            serving = await TimeAsync(trials, runs, batch, () => scorer.ScoreBatchAsync(requests)).ConfigureAwait(false);
                        }
                        await using (var scorer = OnnxScorer.Load(catalogue.OnnxPath, BenchmarkCatalogue.BatchOptions(threads, batch, contractGraph: true)))
                        {
                            contract = await TimeAsync(trials, runs, batch, () => scorer.ScoreBatchAsync(requests)).ConfigureAwait(false);
                        }
                        double[] direct;
                        using (var session = new DirectSession(catalogue.ItemScoresPath, threads, itemScores: true, allowSpinning: false))
                        {
                            matMul = await TimeAsync(trials, runs, batch, () =>
                            {
                                session.Run(requests);
                                return Task.CompletedTask;
                            }).ConfigureAwait(false);
                            direct = await TimeAsync(trials, runs, batch, () =>
                            {
                                session.RunAndSelect(requests);
                                return Task.CompletedTask;
                            }).ConfigureAwait(false);
                        }
                        var gflops = 2.0 * items * (BenchmarkCatalogue.Dimension + 1) / (matMul[0] * 1e3);
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"| {items:N0} | {threads} | {batch} | {serving[0]:F2} / {serving[1]:F2}, {serving[2]:F2} | {serving[0] / floor:F2} | {matMul[0]:F2}, {matMul[2]:F2} | {gflops:F0} | {direct[0]:F2}, {direct[2]:F2} | {contract[0]:F2} / {contract[1]:F2}, {contract[2]:F2} |"));
                    }
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

    /// <summary>
    /// Best and median wall µs per user over <paramref name="trials"/> trials of <paramref name="runs"/> calls (after
    /// two warm-up calls), then the median process CPU µs per user: CPU time does not count the time other processes
    /// hold the core, so on a loaded machine it is the steadier measure of the work itself (its resolution is the
    /// kernel's clock tick, 10 ms, so trials are sized to last ≥ 0.5 s).
    /// </summary>
    private static async Task<double[]> TimeAsync(int trials, int runs, int batch, Func<Task> call)
    {
        for (var i = 0; i < 2; i++) await call().ConfigureAwait(false);
        var perUser = new double[trials];
        var cpuPerUser = new double[trials];
        using var process = Process.GetCurrentProcess();
        for (var t = 0; t < trials; t++)
        {
            process.Refresh();
            var cpuStarted = process.TotalProcessorTime;
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < runs; i++) await call().ConfigureAwait(false);
            perUser[t] = Stopwatch.GetElapsedTime(started).TotalMicroseconds / runs / batch;
            process.Refresh();
            cpuPerUser[t] = (process.TotalProcessorTime - cpuStarted).TotalMicroseconds / runs / batch;
        }
        Array.Sort(perUser);
        Array.Sort(cpuPerUser);
        return [perUser[0], perUser[trials / 2], cpuPerUser[trials / 2]];
    }
}
