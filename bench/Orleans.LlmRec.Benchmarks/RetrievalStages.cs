using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Orleans.LlmRec.Scoring;
using Orleans.LlmRec.Scoring.Retrieval;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>
/// The approximate feed split into its stages, one request at a time (<c>retrieval --stages</c>): the index search
/// (wall and process CPU time: a sharded index searches its shards on pool threads too, and one request at a time the
/// process's CPU is the search's, whatever the load), the exact re-score of the candidates through <see cref="OnnxScorer"/> (wall and process CPU time, the
/// scorer hops threads), the same re-score done in managed code on the caller's thread (what re-scoring needs at
/// least), garbage collections during the loop and bytes allocated per feed.
/// </summary>
internal static class RetrievalStages
{
    public static async Task RunAsync(ClusteredModel data, ItemVectorIndex index, (float[] Vector, float Bias, int[] Excluded)[] users, int requests, int pool, int factor)
    {
        await using var scorer = OnnxScorer.Load(data.OnnxPath, new ScorerOptions());
        var stages = new[] { "search, wall", "search, process CPU (all shards)", "ONNX scorer re-score, wall", "ONNX scorer re-score, process CPU", "managed re-score, wall", "managed re-score, thread CPU" };
        var samples = stages.Select(_ => new double[requests]).ToArray();
        var model = data.Model;
        for (var i = 0; i < 20; i++) await OneAsync(i, new double[stages.Length]);
        var collections = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var row = new double[stages.Length];
        for (var i = 0; i < requests; i++)
        {
            await OneAsync(i, row);
            for (var s = 0; s < stages.Length; s++) samples[s][i] = row[s];
        }
        var bytesPerFeed = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)requests;
        Console.WriteLine();
        Console.WriteLine(Invariant($"Stages, {data.ItemCount:N0} items, {index.ShardCount} shard(s) at ef {index.ExpansionSearch}, {requests} feeds one at a time (µs; load {Machine.LoadAverage()}):"));
        Console.WriteLine("| stage | p50 | p90 | p99 | max |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        for (var s = 0; s < stages.Length; s++)
        {
            var sorted = samples[s].Order().ToArray();
            Console.WriteLine(Invariant($"| {stages[s]} | {At(sorted, 0.5):0} | {At(sorted, 0.9):0} | {At(sorted, 0.99):0} | {sorted[^1]:0} |"));
        }
        Console.WriteLine(Invariant($"GCs during the loop (gen 0/1/2): {GC.CollectionCount(0) - collections.Item1}/{GC.CollectionCount(1) - collections.Item2}/{GC.CollectionCount(2) - collections.Item3}; allocated {bytesPerFeed:0} B per feed (all stages)"));

        async Task OneAsync(int i, double[] into)
        {
            var (vector, bias, excluded) = users[i % users.Length];
            var wall = Stopwatch.GetTimestamp();
            var cpu = CpuClock.ProcessMicroseconds();
            var found = index.Search(vector, pool * factor + excluded.Length);
            into[1] = CpuClock.ProcessMicroseconds() - cpu;
            into[0] = Stopwatch.GetElapsedTime(wall).TotalMicroseconds;
            var candidates = found.Where(c => Array.BinarySearch(excluded, c) < 0).ToArray();

            wall = Stopwatch.GetTimestamp();
            cpu = CpuClock.ProcessMicroseconds();
            await scorer.ScoreAsync(new ScoringRequest(vector, bias, pool) { ExcludedItems = excluded, Candidates = candidates });
            into[3] = CpuClock.ProcessMicroseconds() - cpu;
            into[2] = Stopwatch.GetElapsedTime(wall).TotalMicroseconds;

            wall = Stopwatch.GetTimestamp();
            cpu = CpuClock.ThreadMicroseconds();
            var heap = new PriorityQueue<int, float>(pool + 1);
            foreach (var item in candidates)
            {
                var score = TensorPrimitives.Dot<float>(vector, model.ItemVector(item)) + model.ItemBias[item];
                if (heap.Count < pool) heap.Enqueue(item, score);
                else if (heap.TryPeek(out _, out var lowest) && score > lowest) heap.EnqueueDequeue(item, score);
            }
            into[5] = CpuClock.ThreadMicroseconds() - cpu;
            into[4] = Stopwatch.GetElapsedTime(wall).TotalMicroseconds;
        }
    }

    private static double At(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
