using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Orleans.LlmRec.Scoring;
using Orleans.LlmRec.Scoring.Retrieval;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>
/// Candidate retrieval at 10⁴–10⁶ items (issue 12): on <see cref="ClusteredModel"/> catalogues, the approximate item
/// index's build time and memory, its recall@100 against the exact top 100 (raw, and as served: 4 × pool + exclusions
/// candidates re-scored exactly), a sweep of the search expansion, and feed scoring latency of the exact path
/// (<see cref="OnnxScorer"/> over the whole catalogue) against the approximate one (index search + ONNX candidates graph).
/// </summary>
public static class RetrievalRun
{
    private const int Pool = 100;
    // Feed:ApproximateCandidateFactor's default (the benchmark does not reference the grains).
    private const int CandidateFactor = 4;

    /// <summary>
    /// Usage: <c>retrieval [--items N,N] [--users 500] [--excluded 50] [--requests 200] [--concurrency 1,8]
    /// [--ef 0,64,128,256,512] [--connectivity 16[,32]] [--metric Euclidean[,InnerProduct]] [--ef-add 128]
    /// [--quantization Float32[,Float16,BFloat16,Int8]] [--shards 0[,1,2]] [--factor 4[,8]] [--cache DIR] [--serve-ef N] [--latency-only | --build-only | --recall-only | --stages | --hand-offs]</c>.
    /// <c>--ef 0</c> is the default rule (by catalogue size); the latency rows use the shipped default (<c>ItemIndex:ExpansionSearch</c> 0).
    /// <c>--build-only</c> measures the index's build and memory alone (no export, recall or latency); <c>--recall-only</c>
    /// skips the ONNX export and the feed latency; <c>--stages</c> adds the approximate feed's stages at the default ef
    /// after the latency rows (<see cref="RetrievalStages"/>), then the hand-offs between them, one feed at a time and
    /// several at once (<see cref="RetrievalHandOffs"/>; <c>--hand-offs</c>: that alone, with no sweep or latency rows). <c>--cache DIR</c> saves each built index there and loads it on the
    /// next run with the same items and settings (a 1M-item build takes minutes).
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var itemCounts = Arguments.IntList(args, "--items", [10_000, 100_000, 1_000_000]);
        var userCount = Arguments.Int(args, "--users", 500);
        var excluded = Arguments.Int(args, "--excluded", 50);
        var requests = Arguments.Int(args, "--requests", 200);
        var concurrencies = Arguments.IntList(args, "--concurrency", [1, 8]);
        var expansions = Arguments.IntList(args, "--ef", [64, 128, 256, 512]);
        var connectivities = Arguments.IntList(args, "--connectivity", [new ItemIndexOptions().Connectivity]);
        var metrics = (Arguments.Text(args, "--metric") ?? nameof(ItemIndexMetric.Euclidean)).Split(',').Select(Enum.Parse<ItemIndexMetric>).ToArray();
        var latencyOnly = args.Contains("--latency-only");
        var buildOnly = args.Contains("--build-only");
        var expansionAdd = Arguments.Int(args, "--ef-add", new ItemIndexOptions().ExpansionAdd);
        var quantizations = (Arguments.Text(args, "--quantization") ?? new ItemIndexOptions().Quantization.ToString()).Split(',').Select(Enum.Parse<ItemIndexQuantization>).ToArray();
        var factors = Arguments.IntList(args, "--factor", [CandidateFactor]);
        // 0: the shipped rule (by catalogue size and cores); the ef of every row is then per shard.
        var shardCounts = Arguments.IntList(args, "--shards", [new ItemIndexOptions().Shards]);
        var recallOnly = args.Contains("--recall-only");
        var stages = args.Contains("--stages");
        var handOffsOnly = args.Contains("--hand-offs");
        latencyOnly |= handOffsOnly;
        var cache = Arguments.Text(args, "--cache");
        // The ef the latency and stage rows search with: the shipped rule unless set, to weigh a lower ef's tail against its recall.
        var servedExpansion = Arguments.Int(args, "--serve-ef", 0);
        Console.WriteLine($"# Candidate retrieval: clustered d = {ClusteredModel.Dimension}, {userCount} users, {excluded} excluded items each, pool {Pool}, candidates factor × pool + exclusions");
        Console.WriteLine($"# {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, USearch {Cloud.Unum.USearch.USearchCapabilities.Version()}, load average before: {Machine.LoadAverage()}");
        foreach (var items in itemCounts)
        {
            using var data = new ClusteredModel(items, seed: 2026 + items, export: !buildOnly && !recallOnly);
            var users = data.Users(userCount, excluded, seed: 17);
            var exactTop = latencyOnly || buildOnly ? [] : ExactTops(data, users);
            foreach (var metric in metrics)
            {
                foreach (var (connectivity, quantization, shards) in connectivities.SelectMany(m => quantizations.SelectMany(q => shardCounts.Select(s => (m, q, s)))))
                {
                    var options = new ItemIndexOptions { Connectivity = connectivity, Metric = metric, ExpansionAdd = expansionAdd, Quantization = quantization, Shards = shards };
                    using var index = BuildOrLoad(data, options, cache);
                    if (buildOnly) continue;
                    if (!latencyOnly) Sweep(data, index, users, exactTop, expansions, factors, options);
                    index.SetExpansionSearch(servedExpansion > 0 ? servedExpansion : options.ResolvedExpansionSearch(data.ItemCount));
                    if (!recallOnly && metric == metrics[0] && connectivity == connectivities[0] && quantization == quantizations[0])
                    {
                        if (!handOffsOnly) await ServeAsync(data, index, users, requests, concurrencies, factors[0]);
                        if (stages && !handOffsOnly) await RetrievalStages.RunAsync(data, index, users, requests, Pool, factors[0]);
                        if (stages || handOffsOnly) await RetrievalHandOffs.RunAsync(data, index, users, requests, Pool, factors[0], concurrencies);
                    }
                }
            }
        }
        Console.WriteLine($"# load average after: {Machine.LoadAverage()}");
        return 0;
    }

    internal static ItemVectorIndex BuildOrLoad(ClusteredModel data, ItemIndexOptions options, string? cache)
    {
        var model = data.Model;
        var file = cache is null ? null
            : Path.Combine(cache, Invariant($"clustered-{data.ItemCount}-{options.Metric}-m{options.Connectivity}-add{options.ExpansionAdd}-{options.Quantization}.usearch"));
        var shards = options.ResolvedShards(data.ItemCount);
        var rssBefore = Rss();
        var cpuBefore = CpuClock.ProcessMicroseconds();
        var clock = Stopwatch.StartNew();
        var loaded = file is not null && Enumerable.Range(0, shards).All(s => File.Exists(ItemVectorIndex.ShardPath(file, s, shards)));
        var index = loaded
            ? ItemVectorIndex.Load(file!, model.ItemVectors, model.ItemBias, data.ItemCount, ClusteredModel.Dimension, options)
            : ItemVectorIndex.Build(model.ItemVectors, model.ItemBias, data.ItemCount, ClusteredModel.Dimension, options);
        var seconds = clock.Elapsed.TotalSeconds;
        var cpuSeconds = (CpuClock.ProcessMicroseconds() - cpuBefore) / 1e6;
        var rssDelta = Rss() - rssBefore;
        if (file is not null && !loaded)
        {
            Directory.CreateDirectory(cache!);
            index.Save(file);
        }
        Console.WriteLine();
        Console.WriteLine("| items | metric | M | ef add | storage | shards | build threads | build s | build CPU s | index MiB | index B/item | RSS Δ MiB |");
        Console.WriteLine("| ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        var build = loaded ? "loaded from cache" : Invariant($"{seconds:0.0}");
        var buildCpu = loaded ? "—" : Invariant($"{cpuSeconds:0.0}");
        Console.WriteLine(Invariant($"| {data.ItemCount:N0} | {options.Metric} | {options.Connectivity} | {options.ExpansionAdd} | {options.Quantization} | {index.ShardCount} | {options.ResolvedBuildThreads} | {build} | {buildCpu} | {index.MemoryBytes / 1048576.0:0} | {(double)index.MemoryBytes / data.ItemCount:0} | {rssDelta / 1048576.0:0} |"));
        return index;
    }

    private static void Sweep(ClusteredModel data, ItemVectorIndex index, (float[] Vector, float Bias, int[] Excluded)[] users, int[][] exactTop, int[] expansions, int[] factors,
        ItemIndexOptions options)
    {
        Console.WriteLine();
        Console.WriteLine("| items | metric | M | storage | shards | ef search (per shard) | recall@100 (index top 100) | recall@100 as served (candidates re-scored) | candidates | search p50 µs | search p99 µs | search process CPU p50 / p99 µs |");
        Console.WriteLine("| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (setting, factor) in expansions.SelectMany(e => factors.Select(f => (e, f))))
        {
            var ef = setting > 0 ? setting : options.ResolvedExpansionSearch(data.ItemCount);
            index.SetExpansionSearch(ef);
            double raw = 0, served = 0;
            var times = new List<double>(users.Length);
            var cpuTimes = new List<double>(users.Length);
            var count = Pool * factor + users[0].Excluded.Length;
            for (var u = 0; u < users.Length; u++)
            {
                var (vector, _, excluded) = users[u];
                var exact = exactTop[u].Take(Pool).ToHashSet();
                raw += index.Search(vector, Pool).Count(exact.Contains) / (double)Pool;
                var clock = Stopwatch.StartNew();
                // Process CPU: the shards' searches run on pool threads too.
                var cpu = CpuClock.ProcessMicroseconds();
                var candidates = index.Search(vector, count);
                cpuTimes.Add(CpuClock.ProcessMicroseconds() - cpu);
                times.Add(clock.Elapsed.TotalMicroseconds);
                var servedTop = candidates.Where(i => Array.BinarySearch(excluded, i) < 0)
                    .OrderByDescending(i => Score(data, vector, i)).Take(Pool);
                // The exact top (pool + exclusions) without exclusions holds the exact top pool among the items the user may see.
                var exactServed = exactTop[u].Where(i => Array.BinarySearch(excluded, i) < 0).Take(Pool).ToHashSet();
                served += servedTop.Count(exactServed.Contains) / (double)Pool;
            }
            times.Sort();
            cpuTimes.Sort();
            var efText = setting > 0 ? Invariant($"{ef}") : Invariant($"{ef} (by size)");
            Console.WriteLine(Invariant($"| {data.ItemCount:N0} | {options.Metric} | {options.Connectivity} | {options.Quantization} | {index.ShardCount} | {efText} | {raw / users.Length:0.000} | {served / users.Length:0.000} | {count} | {Percentile(times, 0.5):0} | {Percentile(times, 0.99):0} | {Percentile(cpuTimes, 0.5):0} / {Percentile(cpuTimes, 0.99):0} |"));
        }
    }

    private static async Task ServeAsync(ClusteredModel data, ItemVectorIndex index, (float[] Vector, float Bias, int[] Excluded)[] users, int requests, int[] concurrencies, int factor)
    {
        await using var scorer = OnnxScorer.Load(data.OnnxPath, new ScorerOptions());
        Console.WriteLine();
        Console.WriteLine("| items | path | concurrency | requests | p50 ms | p99 ms | feeds/s |");
        Console.WriteLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var concurrency in concurrencies)
        {
            foreach (var approximate in new[] { false, true })
            {
                Task<double> Feed(int i) => approximate ? ApproximateFeedAsync(scorer, index, users[i % users.Length], factor) : ExactFeedAsync(scorer, users[i % users.Length]);
                for (var i = 0; i < 20; i++) await Feed(i);
                var samples = new double[requests];
                var next = -1;
                var clock = Stopwatch.StartNew();
                await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
                {
                    for (var i = Interlocked.Increment(ref next); i < requests; i = Interlocked.Increment(ref next)) samples[i] = await Feed(i);
                })));
                var rate = requests / clock.Elapsed.TotalSeconds;
                Array.Sort(samples);
                Console.WriteLine(Invariant($"| {data.ItemCount:N0} | {(approximate ? "index + ONNX candidates" : "ONNX whole catalogue")} | {concurrency} | {requests} | {Percentile(samples, 0.5):0.00} | {Percentile(samples, 0.99):0.00} | {rate:0} |"));
            }
        }
    }

    private static async Task<double> ExactFeedAsync(OnnxScorer scorer, (float[] Vector, float Bias, int[] Excluded) user)
    {
        var clock = Stopwatch.StartNew();
        await scorer.ScoreAsync(new ScoringRequest(user.Vector, user.Bias, Pool) { ExcludedItems = user.Excluded });
        return clock.Elapsed.TotalMilliseconds;
    }

    private static async Task<double> ApproximateFeedAsync(OnnxScorer scorer, ItemVectorIndex index, (float[] Vector, float Bias, int[] Excluded) user, int factor)
    {
        var clock = Stopwatch.StartNew();
        var candidates = index.Search(user.Vector, Pool * factor + user.Excluded.Length)
            .Where(i => Array.BinarySearch(user.Excluded, i) < 0).ToArray();
        await scorer.ScoreAsync(new ScoringRequest(user.Vector, user.Bias, Pool) { ExcludedItems = user.Excluded, Candidates = candidates });
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>Each user's exact top (pool + exclusions) over the whole catalogue, best first, in parallel.</summary>
    private static int[][] ExactTops(ClusteredModel data, (float[] Vector, float Bias, int[] Excluded)[] users)
    {
        var tops = new int[users.Length][];
        Parallel.For(0, users.Length, u => tops[u] = ExactTop(data, users[u].Vector, Pool + users[u].Excluded.Length));
        return tops;
    }

    private static int[] ExactTop(ClusteredModel data, float[] vector, int k)
    {
        var heap = new PriorityQueue<int, float>(k + 1);
        for (var i = 0; i < data.ItemCount; i++)
        {
            var score = Score(data, vector, i);
            if (heap.Count < k) heap.Enqueue(i, score);
            else if (heap.TryPeek(out _, out var lowest) && score > lowest) heap.EnqueueDequeue(i, score);
        }
        return [.. heap.UnorderedItems.OrderByDescending(e => e.Priority).Select(e => e.Element)];
    }

    private static float Score(ClusteredModel data, float[] vector, int item) =>
        TensorPrimitives.Dot<float>(vector, data.Model.ItemVector(item)) + data.Model.ItemBias[item];

    private static double Percentile(IReadOnlyList<double> sorted, double p) => sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    private static long Rss()
    {
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
