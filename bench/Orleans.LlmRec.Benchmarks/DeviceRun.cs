using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>
/// One self-contained pass for a machine with a GPU, run where no BenchmarkDotNet setup is at hand and device time is
/// short: for each catalogue size it loads the exported graph through <see cref="OnnxScorer"/> on the asked provider,
/// says which provider really runs it, checks parity with a double-precision C# reference, then times single-user
/// requests (p50/p99) and whole batches (users/s). Run it once with <c>--provider cuda</c> and once with
/// <c>--provider cpu</c> on the same machine to get the ratio. Exit code 2 when CUDA was asked for and CPU ran.
/// </summary>
public static class DeviceRun
{
    /// <summary>Relative error the ONNX contract promises against the C# reference (onnx/README.md).</summary>
    private const double ParityTolerance = 1e-5;

    /// <summary>
    /// Usage: <c>device [--provider cuda|cpu] [--threads N] [--tf32 0|1] [--item-scores-graph 1|0] [--items N[,N]]
    /// [--requests N] [--batches N[,N]] [--seconds S]</c>. <c>--item-scores-graph 0</c> serves full-catalogue requests
    /// with the contract-1 graph (mask and TopK in the graph, on the device), <c>1</c> with the serving graph (scores
    /// copied back, exclusions and top-k on the CPU); left out, the scorer's default decides by provider.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var provider = Arguments.Text(args, "--provider") ?? "cuda";
        var useCuda = provider switch
        {
            "cuda" => true,
            "cpu" => false,
            _ => throw new ArgumentException($"--provider must be cuda or cpu, not '{provider}'."),
        };
        var threads = Arguments.Int(args, "--threads", 0);
        var tf32 = Arguments.Int(args, "--tf32", 0) != 0;
        var itemScoresArgument = Arguments.Int(args, "--item-scores-graph", -1);
        bool? itemScoresGraph = itemScoresArgument < 0 ? null : itemScoresArgument != 0;
        var itemCounts = Arguments.IntList(args, "--items", [BenchmarkCatalogue.MovieLensSmallItems, BenchmarkCatalogue.LargeItems]);
        var requests = Arguments.Int(args, "--requests", 2_000);
        var batchSizes = Arguments.IntList(args, "--batches", [64, 256, 1024]);
        var seconds = Arguments.Int(args, "--seconds", 3);

        using var loggerFactory = LoggerFactory.Create(builder => builder.AddSimpleConsole(o => o.SingleLine = true));
        var logger = loggerFactory.CreateLogger("Orleans.LlmRec.Scoring");
        Console.WriteLine($"# device run: asked for {provider}, intra-op threads {threads} (0 = ONNX Runtime's choice), TF32 {(tf32 ? "on" : "off")}, {itemScoresGraph switch { null => "graph chosen by provider", true => "item_scores serving graph + managed top-k", false => "contract-1 graph: mask + TopK in the graph" }}, d = {BenchmarkCatalogue.Dimension}, k = {BenchmarkCatalogue.TopK}, {BenchmarkCatalogue.ExcludedPerRequest} excluded items per request");
        Console.WriteLine($"# {Environment.ProcessorCount} logical CPUs, load average {Machine.LoadAverage()}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        var exitCode = 0;
        try
        {
            foreach (var items in itemCounts)
            {
                var catalogue = BenchmarkCatalogue.Get(items);
                var pool = catalogue.CreateRequests(Math.Max(1024, batchSizes.Max()), seed: 11);

                await using (var scorer = OnnxScorer.Load(catalogue.OnnxPath, Options(useCuda, threads, tf32, itemScoresGraph, batch: 1), logger))
                {
                    Console.WriteLine();
                    Console.WriteLine($"## {items:N0} items: runs on {scorer.ExecutionProvider}");
                    if (useCuda && scorer.ExecutionProvider != "CUDAExecutionProvider") exitCode = 2;
                    var parity = await CheckParityAsync(catalogue, scorer, pool[..256]).ConfigureAwait(false);
                    Console.WriteLine($"parity over 256 users: max relative score error {parity.MaxRelativeError:E2} (contract ≤ {ParityTolerance:E0}: {(parity.MaxRelativeError <= ParityTolerance ? "met" : "NOT met")}); top-{BenchmarkCatalogue.TopK} differs from the full double-precision sort for {parity.RowsDiffering} rows (near-ties closer than the tolerance are not counted: {parity.NearTieRows})");

                    var latencies = await LatencyRun.MeasureAsync(requests, async i => await scorer.ScoreAsync(pool[i % pool.Length]).ConfigureAwait(false), warmUp: Math.Min(requests, 200)).ConfigureAwait(false);
                    Console.WriteLine($"single user, {requests:N0} sequential requests: p50 {LatencyRun.Percentile(latencies, 0.50):F1} µs, p99 {LatencyRun.Percentile(latencies, 0.99):F1} µs, max {latencies[^1]:F1} µs");
                }

                Console.WriteLine();
                Console.WriteLine("| batch | users/s | µs per user | µs per batch | batches |");
                Console.WriteLine("| ---: | ---: | ---: | ---: | ---: |");
                foreach (var batch in batchSizes)
                {
                    await using var scorer = OnnxScorer.Load(catalogue.OnnxPath, Options(useCuda, threads, tf32, itemScoresGraph, batch), logger);
                    var work = pool[..batch];
                    var (usersPerSecond, batches) = await MeasureBatchesAsync(scorer, work, seconds).ConfigureAwait(false);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {batch} | {usersPerSecond:N0} | {1e6 / usersPerSecond:F2} | {1e6 * batch / usersPerSecond:F0} | {batches:N0} |"));
                }
            }
        }
        finally
        {
            BenchmarkCatalogue.DeleteFiles();
        }
        return exitCode;
    }

    private static ScorerOptions Options(bool useCuda, int threads, bool tf32, bool? itemScoresGraph, int batch) => new()
    {
        UseItemScoresGraph = itemScoresGraph,
        ExecutionProvider = useCuda ? ScoringExecutionProvider.Cuda : ScoringExecutionProvider.Cpu,
        CudaUseTf32 = tf32,
        IntraOpThreads = threads,
        InterOpThreads = 1,
        MaxBatchSize = batch,
        MaxBatchWait = batch == 1 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(5),
        QueueCapacity = Math.Max(4096, batch),
    };

    private readonly record struct Parity(double MaxRelativeError, int RowsDiffering, int NearTieRows);

    /// <summary>
    /// Scores every item of each request in double precision from the model's own weights (the reference the parity
    /// tests use) and compares: each returned score against the reference score of the same item, and the returned
    /// items against the reference's best k of the eligible items.
    /// </summary>
    private static async Task<Parity> CheckParityAsync(BenchmarkCatalogue catalogue, OnnxScorer scorer, ScoringRequest[] requests)
    {
        var results = await scorer.ScoreBatchAsync(requests).ConfigureAwait(false);
        var model = catalogue.Model;
        var dimension = model.Dimension;
        var reference = new double[catalogue.ItemCount];
        double maxRelative = 0;
        int differing = 0, nearTies = 0;
        for (var r = 0; r < requests.Length; r++)
        {
            var request = requests[r];
            var vector = request.UserVector.Span;
            for (var item = 0; item < catalogue.ItemCount; item++)
            {
                double sum = model.GlobalBias + model.ItemBias[item] + request.UserBias;
                var row = model.ItemVectors.AsSpan(item * dimension, dimension);
                for (var j = 0; j < dimension; j++) sum += (double)row[j] * vector[j];
                reference[item] = sum;
            }
            var excluded = new HashSet<int>(request.ExcludedItems.ToArray());
            var expected = Enumerable.Range(0, catalogue.ItemCount)
                .Where(item => !excluded.Contains(item))
                .OrderByDescending(item => reference[item])
                .Take(request.K)
                .ToArray();
            var actual = results[r].Items;
            foreach (var scored in actual)
            {
                var exact = reference[scored.Item];
                maxRelative = Math.Max(maxRelative, Math.Abs(scored.Score - exact) / Math.Max(1.0, Math.Abs(exact)));
            }
            if (!actual.Select(s => s.Item).SequenceEqual(expected))
            {
                // Two items whose exact scores differ by less than float rounding may legitimately trade places.
                var tie = actual.Count == expected.Length && Enumerable.Range(0, expected.Length)
                    .All(j => Math.Abs(reference[actual[j].Item] - reference[expected[j]]) <= ParityTolerance * Math.Max(1.0, Math.Abs(reference[expected[j]])));
                if (tie) nearTies++;
                else differing++;
            }
        }
        return new Parity(maxRelative, differing, nearTies);
    }

    private static async Task<(double UsersPerSecond, long Batches)> MeasureBatchesAsync(OnnxScorer scorer, ScoringRequest[] work, int seconds)
    {
        for (var i = 0; i < 3; i++) await scorer.ScoreBatchAsync(work).ConfigureAwait(false);
        var batches = 0L;
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started).TotalSeconds < seconds)
        {
            await scorer.ScoreBatchAsync(work).ConfigureAwait(false);
            batches++;
        }
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return (batches * work.Length / elapsed, batches);
    }
}
