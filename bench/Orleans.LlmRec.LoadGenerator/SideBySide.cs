using System.Globalization;

namespace Orleans.LlmRec.LoadGenerator;

/// <summary>
/// Issue 15's acceptance, in one run against one silo start: cached feeds against the bare Kestrel ceiling, click-to-feed
/// freshness, HTTP ingestion and Redis Streams ingestion, one after the other on the same machine state, then one table
/// for bench/RESULTS.md. Event ids are new in every phase (a run id in each), so no phase's events are duplicates of an
/// earlier one's.
/// </summary>
internal static class SideBySide
{
    public static async Task RunAsync(LoadSettings s, string redis, string stream, int streamEvents, int batch)
    {
        var feed = await Scenarios.CachedFeedsAsync(s with { Concurrency = 16 });
        Console.WriteLine(feed);
        var ceiling = await Scenarios.CeilingAsync(s with { Concurrency = 16 });
        Console.WriteLine(ceiling);
        var (_, freshness, click) = await Scenarios.FreshnessAsync(s with { Concurrency = 1 });
        Console.WriteLine(click);
        Console.WriteLine(freshness);
        var http = await Scenarios.IngestHttpAsync(s with { Concurrency = 8 }, batch);
        Console.WriteLine(http);
        var streams = await Scenarios.IngestRedisAsync(s, redis, stream, streamEvents, prefill: true);

        Console.WriteLine();
        Console.WriteLine("| side by side, one silo start | figure | goal | silo CPU | Redis CPU |");
        Console.WriteLine("| --- | ---: | --- | ---: | ---: |");
        Console.WriteLine($"| cached feed vs bare Kestrel (16 in flight) | {feed.PerSecond:N0} vs {ceiling.PerSecond:N0} req/s = **{100 * feed.PerSecond / ceiling.PerSecond:F0} %**, " +
            $"p99 {Ms(feed.Percentile(0.99))} vs {Ms(ceiling.Percentile(0.99))} | ≥ 80 % | {Cpu(feed, "silo", "feed")} (bare server {BareServerCpu(feed, ceiling)}) | |");
        Console.WriteLine($"| click-to-feed (1 in flight) | p99 **{Ms(freshness.Percentile(0.99))}** (p50 {Ms(freshness.Percentile(0.5))}; click p99 {Ms(click.Percentile(0.99))}) | ≤ 2 ms | | |");
        Console.WriteLine($"| HTTP ingestion (batches of {batch}, 8 in flight) | **{http.ItemsPerSecond:N0} events/s** | ≥ 50k | {Cpu(http, "silo", "event")} | {Cpu(http, "redis", "event")} |");
        if (streams is not null)
        {
            Console.WriteLine($"| Redis Streams ingestion ({streams.Events:N0} prefilled) | **{streams.PerSecond:N0} events/s**{(streams.Complete ? "" : " NOT DRAINED")} | ≥ 50k | " +
                $"{Micro(streams.CpuMicrosecondsPerEvent("silo"), "event")} | {Micro(streams.CpuMicrosecondsPerEvent("redis"), "event")} |");
        }
        Console.WriteLine($"errors: feed {feed.Errors}, ceiling {ceiling.Errors}, click {click.Errors}, freshness {freshness.Errors}, HTTP ingestion {http.Errors}");
    }

    /// <summary>
    /// The bare server's CPU per request: the load generator's CPU per request while it also served the ceiling, less
    /// its CPU per request as a client of the silo (the same client work), as one compares with the silo's.
    /// </summary>
    private static string BareServerCpu(Measurement feed, Measurement ceiling)
    {
        double? PerRequest(Measurement m) => m.CpuSeconds.TryGetValue(WatchedProcess.Self, out var s) && m.Operations > 0 ? s * 1e6 / m.Operations : null;
        // Only meaningful when the client costs the same per request in both windows (a quiet machine, both saturated).
        return PerRequest(ceiling) - PerRequest(feed) is { } bare ? bare > 0 ? "≈ " + Micro(bare, "request") : "not measurable here" : "";
    }

    private static string Ms(double milliseconds) => milliseconds.ToString("F2", CultureInfo.InvariantCulture) + " ms";

    private static string Cpu(Measurement m, string process, string unit)
    {
        var items = m.Operations * (double)m.ItemsPerOperation;
        return Micro(m.CpuSeconds.TryGetValue(process, out var seconds) && items > 0 ? seconds * 1e6 / items : null, unit);
    }

    private static string Micro(double? microseconds, string unit) =>
        microseconds is { } value ? $"{value.ToString("F1", CultureInfo.InvariantCulture)} µs/{unit}" : "";
}
