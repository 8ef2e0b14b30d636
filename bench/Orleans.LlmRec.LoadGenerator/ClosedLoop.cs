using System.Diagnostics;

namespace Orleans.LlmRec.LoadGenerator;

/// <summary>Latencies and counts of one scenario's measured window.</summary>
internal sealed class Measurement(string name, long operations, long errors, TimeSpan window, double[] sortedMilliseconds, int itemsPerOperation = 1)
{
    /// <summary>CPU seconds of the watched processes (<c>--cpu-of</c>) during the window.</summary>
    public IReadOnlyDictionary<string, double> CpuSeconds { get; init; } = new Dictionary<string, double>();

    public string Name { get; } = name;
    public long Operations { get; } = operations;
    public long Errors { get; } = errors;
    public TimeSpan Window { get; } = window;
    public int ItemsPerOperation { get; } = itemsPerOperation;
    public double PerSecond => Operations / Window.TotalSeconds;
    public double ItemsPerSecond => PerSecond * ItemsPerOperation;

    public double Percentile(double p) =>
        sortedMilliseconds.Length == 0 ? double.NaN : sortedMilliseconds[Math.Clamp((int)Math.Ceiling(p * sortedMilliseconds.Length) - 1, 0, sortedMilliseconds.Length - 1)];

    public double Max => sortedMilliseconds.Length == 0 ? double.NaN : sortedMilliseconds[^1];

    public override string ToString()
    {
        var rate = ItemsPerOperation == 1 ? $"{PerSecond,9:N0}/s" : $"{PerSecond,9:N0}/s ({ItemsPerSecond:N0} events/s)";
        var line = $"{Name,-28} {rate}  p50 {Percentile(0.50),7:F2} ms  p90 {Percentile(0.90),7:F2} ms  p99 {Percentile(0.99),7:F2} ms  max {Max,7:F1} ms  n={Operations:N0} errors={Errors:N0}";
        var unit = ItemsPerOperation == 1 ? "op" : "event";
        var items = Operations * (double)ItemsPerOperation;
        foreach (var (process, seconds) in CpuSeconds)
        {
            line += items > 0 ? $"  {process} {seconds * 1e6 / items:F1} µs CPU/{unit}" : "";
        }
        return line;
    }
}

/// <summary>Records latencies from many workers without contention: one list per worker, merged at the end.</summary>
internal sealed class LatencyLog(int workers)
{
    private readonly List<double>[] _perWorker = Enumerable.Range(0, workers).Select(_ => new List<double>(1 << 14)).ToArray();
    private readonly long[] _errors = new long[workers];

    public void Add(int worker, double milliseconds) => _perWorker[worker].Add(milliseconds);
    public void Error(int worker) => _errors[worker]++;

    public Measurement ToMeasurement(string name, TimeSpan window, int itemsPerOperation = 1, IReadOnlyDictionary<string, double>? cpuSeconds = null)
    {
        var all = _perWorker.SelectMany(l => l).ToArray();
        Array.Sort(all);
        return new Measurement(name, all.Length, _errors.Sum(), window, all, itemsPerOperation) { CpuSeconds = cpuSeconds ?? new Dictionary<string, double>() };
    }
}

/// <summary>
/// A closed loop: each of N workers sends its next request as soon as the previous one answered. Operations that end
/// during the warm-up are dropped; the rest, up to the end of the window, are measured.
/// </summary>
internal static class ClosedLoop
{
    /// <summary>One operation: returns the milliseconds to record, or null when it failed.</summary>
    public delegate Task<double?> Operation(int worker, Random random, CancellationToken cancellationToken);

    /// <summary>Processes whose CPU time each measured window reports (<c>--cpu-of</c>).</summary>
    public static IReadOnlyList<WatchedProcess> Watched { get; set; } = [];

    public static async Task<Measurement> RunAsync(string name, int concurrency, TimeSpan warmup, TimeSpan window, Operation operation, int itemsPerOperation = 1)
    {
        var log = new LatencyLog(concurrency);
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var end = measureFrom + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var cpu = new CpuWindow(Watched);
        var cpuWatch = Task.Run(async () =>
        {
            await Task.Delay(warmup);
            cpu.Start();
            await Task.Delay(window);
            cpu.Stop();
        });
        using var stop = new CancellationTokenSource(warmup + window + TimeSpan.FromSeconds(30));
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var random = new Random(1_000 + w);
            while (true)
            {
                var result = await operation(w, random, stop.Token);
                var now = Stopwatch.GetTimestamp();
                if (now >= end) break;
                if (now < measureFrom) continue;
                if (result is { } milliseconds) log.Add(w, milliseconds);
                else log.Error(w);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        await cpuWatch;
        return log.ToMeasurement(name, window, itemsPerOperation, cpu.UsedSeconds);
    }

    public static double Milliseconds(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
}
