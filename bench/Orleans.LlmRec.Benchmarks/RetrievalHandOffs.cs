using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Orleans.LlmRec.Scoring;
using Orleans.LlmRec.Scoring.Retrieval;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>
/// Where the approximate feed's time goes between its stages (<c>retrieval --stages</c>, after <see cref="RetrievalStages"/>),
/// and the lone-request inline path against the queue, paired: two scorers on the same model, one scoring lone
/// candidates requests on the caller's thread (<see cref="ScorerOptions.ScoreLoneCandidatesInline"/>) and one queueing
/// every request, used in turn user by user (one request at a time), or in alternating blocks (several at once), so
/// the machine's load falls on both arms alike.
/// <para>One at a time each feed is split by timestamps: the sharded search (the pool thread's start after the
/// shards were queued, the caller's own shard, its wait for the other and the wake-up after the last one finished,
/// from <c>ShardSearch.Observer</c>), the candidate filter, the scorer's queue (enqueue → batch start), the batch's run
/// and the hand-out (batch end → caller resumes; both from the scorer's batch-duration instrument), plus the GC pause
/// and the run-queue delay of all the process's threads (<c>/proc/self/task/*/schedstat</c>: time runnable but
/// waiting for a core) during the feed. The slowest 1 % of feeds are then averaged per part: what the tail is made of.</para>
/// </summary>
internal static class RetrievalHandOffs
{
    private static readonly string[] Parts =
    [
        "feed, wall", "search, wall", "  pool thread start after queueing", "  caller's own shard", "  caller waits for the other shard",
        "  caller's wake-up after the last shard", "  shards the caller searched itself", "filter candidates", "scorer queue (enqueue → batch start)", "batch run",
        "hand-out (batch end → caller resumes)", "GC pause in the feed", "run-queue delay, all threads",
    ];

    private static long _batchEnd;
    private static double _batchSeconds;

    public static async Task RunAsync(ClusteredModel data, ItemVectorIndex index, (float[] Vector, float Bias, int[] Excluded)[] users, int requests, int pool, int factor, int[] concurrencies)
    {
        await using var queued = OnnxScorer.Load(data.OnnxPath, new ScorerOptions { ScoreLoneCandidatesInline = false });
        await using var inline = OnnxScorer.Load(data.OnnxPath, new ScorerOptions { ScoreLoneCandidatesInline = true });
        (string Name, OnnxScorer Scorer)[] arms = [("queued", queued), ("inline when idle", inline)];
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ScorerMetrics.MeterName && instrument.Name == "llmrec.scorer.batch.duration") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
        {
            Volatile.Write(ref _batchSeconds, seconds);
            Volatile.Write(ref _batchEnd, Stopwatch.GetTimestamp());
        });
        listener.Start();
        HandOffTimes? search = null;
        ShardSearch.Observer = times => search = times;
        try
        {
            // One at a time: the same user on both arms in turn, the order swapped every other user.
            var samples = arms.Select(_ => new List<double[]>(requests)).ToArray();
            for (var i = 0; i < 20; i++) foreach (var arm in arms) await OneAsync(arm, i);
            var collections = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            var pauseBefore = GC.GetTotalPauseDuration();
            await Task.Run(async () =>
            {
                for (var i = 0; i < requests; i++)
                {
                    for (var turn = 0; turn < arms.Length; turn++)
                    {
                        var arm = (turn + i) % arms.Length;
                        samples[arm].Add(await OneAsync(arms[arm], i));
                    }
                }
            });
            var gcs = Invariant($"GCs during the loop (gen 0/1/2, all arms): {GC.CollectionCount(0) - collections.Item1}/{GC.CollectionCount(1) - collections.Item2}/{GC.CollectionCount(2) - collections.Item3}, pause {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds:0.0} ms");
            Console.WriteLine();
            Console.WriteLine(Invariant($"Feed hand-offs, {data.ItemCount:N0} items, {index.ShardCount} shard(s) at ef {index.ExpansionSearch}, {requests} feeds per arm one at a time, arms in turn (µs; load {Machine.LoadAverage()}):"));
            Console.WriteLine("| part | " + string.Join(" | ", arms.Select(a => $"{a.Name} p50 | p99 | mean of slowest 1 %")) + " |");
            Console.WriteLine("| --- |" + string.Concat(Enumerable.Repeat(" ---: | ---: | ---: |", arms.Length)));
            var tails = samples.Select(s => s.OrderByDescending(row => row[0]).Take(Math.Max(1, s.Count / 100)).ToArray()).ToArray();
            for (var p = 0; p < Parts.Length; p++)
            {
                var cells = new List<string>();
                for (var a = 0; a < arms.Length; a++)
                {
                    var values = samples[a].Select(row => row[p]).Where(v => !double.IsNaN(v)).Order().ToArray();
                    var tail = tails[a].Select(row => row[p]).Where(v => !double.IsNaN(v)).ToArray();
                    cells.Add(Invariant($"{At(values, 0.5):0} | {At(values, 0.99):0} | {(tail.Length == 0 ? double.NaN : tail.Average()):0.#}"));
                }
                Console.WriteLine($"| {Parts[p]} | {string.Join(" | ", cells)} |");
            }
            for (var a = 0; a < arms.Length; a++)
            {
                var waited = samples[a].Count(row => row[4] > 0);
                Console.WriteLine(Invariant($"{arms[a].Name}: the caller waited for a pool thread's shard in {waited} of {samples[a].Count} feeds and searched every shard itself in {samples[a].Count(row => row[6] == index.ShardCount)}; feeds with a GC {samples[a].Count(row => row[11] > 0)}; inline runs of its scorer {arms[a].Scorer.InlineRuns}"));
            }

            Console.WriteLine(gcs);

            // Several at once: blocks of feeds per arm, alternating, so both see the same stretch of load.
            foreach (var concurrency in concurrencies.Where(c => c > 1))
            {
                var walls = arms.Select(_ => new List<double>()).ToArray();
                var seconds = new double[arms.Length];
                var requestsScored = new long[arms.Length];
                var batchesRun = new long[arms.Length];
                const int Blocks = 10;
                for (var block = 0; block < Blocks * arms.Length; block++)
                {
                    var arm = block % arms.Length;
                    var next = -1;
                    var perBlock = requests / Blocks;
                    var blockSamples = new double[perBlock];
                    var before = arms[arm].Scorer.Statistics;
                    var clock = Stopwatch.StartNew();
                    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
                    {
                        for (var i = Interlocked.Increment(ref next); i < perBlock; i = Interlocked.Increment(ref next))
                        {
                            blockSamples[i] = await FeedAsync(arms[arm], block * perBlock + i);
                        }
                    })));
                    seconds[arm] += clock.Elapsed.TotalSeconds;
                    requestsScored[arm] += arms[arm].Scorer.Statistics.Requests - before.Requests;
                    batchesRun[arm] += arms[arm].Scorer.Statistics.Batches - before.Batches;
                    walls[arm].AddRange(blockSamples);
                }
                Console.WriteLine(Invariant($"{concurrency} at once, {Blocks} blocks of {requests / Blocks} feeds per arm, alternating (ms; load {Machine.LoadAverage()}):"));
                for (var a = 0; a < arms.Length; a++)
                {
                    var sorted = walls[a].Order().ToArray();
                    Console.WriteLine(Invariant($"| {arms[a].Name} | p50 {At(sorted, 0.5) / 1000:0.00} | p99 {At(sorted, 0.99) / 1000:0.00} | {sorted.Length / seconds[a]:0} feeds/s | {requestsScored[a] / (double)Math.Max(1, batchesRun[a]):0.0} requests per batch |"));
                }
            }
        }
        finally
        {
            ShardSearch.Observer = null;
        }

        async Task<double> FeedAsync((string Name, OnnxScorer Scorer) arm, int i)
        {
            var scorer = arm.Scorer;
            var (vector, bias, excluded) = users[i % users.Length];
            var started = Stopwatch.GetTimestamp();
            var candidates = index.Search(vector, pool * factor + excluded.Length).Where(c => Array.BinarySearch(excluded, c) < 0).ToArray();
            await scorer.ScoreAsync(new ScoringRequest(vector, bias, pool) { ExcludedItems = excluded, Candidates = candidates });
            return Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }

        async Task<double[]> OneAsync((string Name, OnnxScorer Scorer) arm, int i)
        {
            var scorer = arm.Scorer;
            var (vector, bias, excluded) = users[i % users.Length];
            var runDelay = RunQueueDelayNanoseconds();
            var pause = GC.GetTotalPauseDuration();
            search = null;
            var started = Stopwatch.GetTimestamp();
            var found = index.Search(vector, pool * factor + excluded.Length);
            var searched = Stopwatch.GetTimestamp();
            var candidates = found.Where(c => Array.BinarySearch(excluded, c) < 0).ToArray();
            var enqueued = Stopwatch.GetTimestamp();
            await scorer.ScoreAsync(new ScoringRequest(vector, bias, pool) { ExcludedItems = excluded, Candidates = candidates });
            var resumed = Stopwatch.GetTimestamp();
            var gcPause = (GC.GetTotalPauseDuration() - pause).TotalMicroseconds;
            var delay = (RunQueueDelayNanoseconds() - runDelay) / 1e3;
            var batchEnd = Volatile.Read(ref _batchEnd);
            var batchMicroseconds = Volatile.Read(ref _batchSeconds) * 1e6;
            var batchStart = batchEnd - (long)(batchMicroseconds * Stopwatch.Frequency / 1e6);
            var row = new double[Parts.Length];
            row[0] = Micro(started, resumed);
            row[1] = Micro(started, searched);
            if (search is { } s)
            {
                row[2] = s.PoolStarted == 0 ? double.NaN : Micro(s.Queued, s.PoolStarted);
                row[3] = Micro(s.Queued, s.CallerFinished);
                // The caller waits only when a pool thread still held a shard as it finished its own.
                var waited = s.LastShardFinished > s.CallerFinished;
                row[4] = waited ? Micro(s.CallerFinished, s.CallerResumed) : 0;
                row[5] = waited ? Micro(s.LastShardFinished, s.CallerResumed) : 0;
                row[6] = s.ShardsOnCaller;
            }
            else
            {
                for (var p = 2; p <= 6; p++) row[p] = double.NaN;
            }
            row[7] = Micro(searched, enqueued);
            row[8] = Micro(enqueued, batchStart);
            row[9] = batchMicroseconds;
            row[10] = Micro(batchEnd, resumed);
            row[11] = gcPause;
            row[12] = delay;
            return row;
        }
    }

    /// <summary>Run-queue delay (ns) summed over the process's threads so far; NaN off Linux.</summary>
    private static double RunQueueDelayNanoseconds()
    {
        const string tasks = "/proc/self/task";
        if (!Directory.Exists(tasks)) return double.NaN;
        double total = 0;
        foreach (var thread in Directory.EnumerateDirectories(tasks))
        {
            try
            {
                var fields = File.ReadAllText(Path.Combine(thread, "schedstat")).Split(' ');
                total += double.Parse(fields[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read.
            }
        }
        return total;
    }

    private static double Micro(long from, long to) => (to - from) * 1e6 / Stopwatch.Frequency;

    private static double At(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
