using System.Diagnostics;
using System.Globalization;
using Orleans.LlmRec.Scoring.Retrieval;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>
/// Index searches of several settings (shards × ef per shard) interleaved query by query on the same users
/// (<c>retrieval-pairs</c>), so that a loaded machine slows every setting alike and their ratios hold: wall time, the
/// process's CPU time per search (all shards' threads; one search at a time, so it is the search's) and the caller
/// thread's share. Usage: <c>retrieval-pairs [--items 1000000] [--users 500] [--rounds 2] [--configs 1:1000,2:500[,1:700:24]]
/// [--cache DIR]</c> (indexes as <c>retrieval --cache</c> keeps them).
/// </summary>
internal static class RetrievalShardPairs
{
    private const int Candidates = 450;

    public static int Run(string[] args)
    {
        var items = Arguments.Int(args, "--items", 1_000_000);
        var userCount = Arguments.Int(args, "--users", 500);
        var rounds = Arguments.Int(args, "--rounds", 2);
        var cache = Arguments.Text(args, "--cache");
        var configs = (Arguments.Text(args, "--configs") ?? "1:1000,2:500").Split(',')
            .Select(c => c.Split(':')).Select(p => (Shards: int.Parse(p[0], CultureInfo.InvariantCulture), Ef: int.Parse(p[1], CultureInfo.InvariantCulture),
                M: p.Length > 2 ? int.Parse(p[2], CultureInfo.InvariantCulture) : new ItemIndexOptions().Connectivity)).ToArray();
        Console.WriteLine(Invariant($"# Paired index searches: {items:N0} clustered items, {userCount} users × {rounds} rounds, {Candidates} candidates, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, load {Machine.LoadAverage()}"));
        using var data = new ClusteredModel(items, seed: 2026 + items, export: false);
        var users = data.Users(userCount, 50, seed: 17);
        var indexes = configs.Select(c => (c.Shards, c.M)).Distinct()
            .ToDictionary(k => k, k => RetrievalRun.BuildOrLoad(data, new ItemIndexOptions { Shards = k.Shards, Connectivity = k.M }, cache));
        try
        {
            var samples = configs.Select(_ => (Wall: new List<double>(), Process: new List<double>(), Caller: new List<double>())).ToArray();
            var found = new int[Candidates];
            for (var i = 0; i < 20; i++) foreach (var index in indexes.Values) index.Search(users[i].Vector, found);
            for (var q = 0; q < userCount * rounds; q++)
            {
                for (var k = 0; k < configs.Length; k++)
                {
                    // Each query visits the settings in a rotating order, so none always runs first after a pause.
                    var c = (k + q) % configs.Length;
                    var index = indexes[(configs[c].Shards, configs[c].M)];
                    if (index.ExpansionSearch != configs[c].Ef) index.SetExpansionSearch(configs[c].Ef);
                    var wall = Stopwatch.GetTimestamp();
                    var process = CpuClock.ProcessMicroseconds();
                    var caller = CpuClock.ThreadMicroseconds();
                    index.Search(users[q % userCount].Vector, found);
                    samples[c].Caller.Add(CpuClock.ThreadMicroseconds() - caller);
                    samples[c].Process.Add(CpuClock.ProcessMicroseconds() - process);
                    samples[c].Wall.Add(Stopwatch.GetElapsedTime(wall).TotalMicroseconds);
                }
            }
            Console.WriteLine();
            Console.WriteLine("| shards | M | ef per shard | wall p50 / p90 / p99 µs | process CPU p50 / p90 / p99 µs | mean process CPU µs | caller thread CPU p50 / p99 µs |");
            Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            for (var c = 0; c < configs.Length; c++)
            {
                var (w, p, t) = (Sorted(samples[c].Wall), Sorted(samples[c].Process), Sorted(samples[c].Caller));
                Console.WriteLine(Invariant($"| {configs[c].Shards} | {configs[c].M} | {configs[c].Ef} | {At(w, 0.5):0} / {At(w, 0.9):0} / {At(w, 0.99):0} | {At(p, 0.5):0} / {At(p, 0.9):0} / {At(p, 0.99):0} | {p.Average():0} | {At(t, 0.5):0} / {At(t, 0.99):0} |"));
            }
            Console.WriteLine(Invariant($"# load average after: {Machine.LoadAverage()}"));
            return 0;
        }
        finally
        {
            foreach (var index in indexes.Values) index.Dispose();
        }
    }

    private static double[] Sorted(List<double> values) => [.. values.Order()];

    private static double At(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
