using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Orleans.LlmRec.Scoring;
using Orleans.LlmRec.Scoring.Retrieval;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>
/// Where the approximate feed's time goes between its stages (<c>retrieval --stages</c>, after <see cref="RetrievalStages"/>),
/// on the scorer as served (every request through its queue), one request at a time and then several at once.
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
        await using var scorer = OnnxScorer.Load(data.OnnxPath, new ScorerOptions());
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
            var samples = new List<double[]>(requests);
            for (var i = 0; i < 20; i++) await OneAsync(i);
            var collections = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            var pauseBefore = GC.GetTotalPauseDuration();
            await Task.Run(async () =>
            {
                for (var i = 0; i < requests; i++) samples.Add(await OneAsync(i));
            });
            var gcs = Invariant($"GCs during the loop (gen 0/1/2): {GC.CollectionCount(0) - collections.Item1}/{GC.CollectionCount(1) - collections.Item2}/{GC.CollectionCount(2) - collections.Item3}, pause {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds:0.0} ms");
            Console.WriteLine();
            Console.WriteLine(Invariant($"Feed hand-offs, {data.ItemCount:N0} items, {index.ShardCount} shard(s) at ef {index.ExpansionSearch}, {requests} feeds one at a time (µs; load {Machine.LoadAverage()}):"));
            Console.WriteLine("| part | p50 | p99 | mean of slowest 1 % |");
            Console.WriteLine("| --- | ---: | ---: | ---: |");
            var tail = samples.OrderByDescending(row => row[0]).Take(Math.Max(1, samples.Count / 100)).ToArray();
            for (var p = 0; p < Parts.Length; p++)
            {
                var values = samples.Select(row => row[p]).Where(v => !double.IsNaN(v)).Order().ToArray();
                var slowest = tail.Select(row => row[p]).Where(v => !double.IsNaN(v)).ToArray();
                Console.WriteLine(Invariant($"| {Parts[p]} | {At(values, 0.5):0} | {At(values, 0.99):0} | {(slowest.Length == 0 ? double.NaN : slowest.Average()):0.#} |"));
            }
            Console.WriteLine(Invariant($"The caller waited for a pool thread's shard in {samples.Count(row => row[4] > 0)} of {samples.Count} feeds and searched every shard itself in {samples.Count(row => row[6] == index.ShardCount)}; feeds with a GC {samples.Count(row => row[11] > 0)}"));
            Console.WriteLine(gcs);

            foreach (var concurrency in concurrencies.Where(c => c > 1))
            {
                var walls = new double[requests];
                var next = -1;
                var before = scorer.Statistics;
                var clock = Stopwatch.StartNew();
                await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
                {
                    for (var i = Interlocked.Increment(ref next); i < requests; i = Interlocked.Increment(ref next)) walls[i] = await FeedAsync(i);
                })));
                var seconds = clock.Elapsed.TotalSeconds;
                var after = scorer.Statistics;
                var sorted = walls.Order().ToArray();
                Console.WriteLine(Invariant($"{concurrency} at once, {requests} feeds (ms; load {Machine.LoadAverage()}): p50 {At(sorted, 0.5) / 1000:0.00} | p99 {At(sorted, 0.99) / 1000:0.00} | {requests / seconds:0} feeds/s | {(after.Requests - before.Requests) / (double)Math.Max(1, after.Batches - before.Batches):0.0} requests per batch"));
            }
        }
        finally
        {
            ShardSearch.Observer = null;
        }

        async Task<double> FeedAsync(int i)
        {
            var (vector, bias, excluded) = users[i % users.Length];
            var started = Stopwatch.GetTimestamp();
            var candidates = index.Search(vector, pool * factor + excluded.Length).Where(c => Array.BinarySearch(excluded, c) < 0).ToArray();
            await scorer.ScoreAsync(new ScoringRequest(vector, bias, pool) { ExcludedItems = excluded, Candidates = candidates });
            return Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }

        async Task<double[]> OneAsync(int i)
        {
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
