using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Orleans.LlmRec.LoadGenerator;

internal sealed record LoadSettings(Uri Target, int Users, int Concurrency, TimeSpan Warmup, TimeSpan Window, int K);

/// <summary>The scenarios of bench/RESULTS.md "Serving".</summary>
internal static class Scenarios
{
    /// <summary>Every request carries <c>X-Api-Key</c> from <c>LLMREC_API_KEY</c> when it is set (the cost of access control is measured with it).</summary>
    public static HttpClient Client(Uri target, int connections)
    {
        var client = BareClient(target, connections);
        if (Environment.GetEnvironmentVariable("LLMREC_API_KEY") is { Length: > 0 } key) client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static HttpClient BareClient(Uri target, int connections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        AutomaticDecompression = DecompressionMethods.None,
        UseProxy = false,
    })
    {
        BaseAddress = target,
        Timeout = TimeSpan.FromSeconds(30),
    };

    internal static string UserId(int index) => (index + 1).ToString(CultureInfo.InvariantCulture);

    internal static string FeedPath(string userId, int k) => $"/v1/users/{userId}/feed?k={k.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Cached feeds: every user's feed is built once first, so the measured reads are served from the user grain's
    /// cached feed (activation and scoring excluded).
    /// </summary>
    public static async Task<Measurement> CachedFeedsAsync(LoadSettings s, string name = "feed (cached)")
    {
        using var client = Client(s.Target, s.Concurrency);
        // A fresh silo on a busy machine may answer a first feed with 503 (its request budget): that user is asked again.
        await ForEachUserAsync(s, async userId =>
        {
            for (var attempt = 1; ; attempt++)
            {
                using var response = await client.GetAsync(FeedPath(userId, s.K));
                if (response.IsSuccessStatusCode || attempt == 5) return response.EnsureSuccessStatusCode().Content.Headers.ContentLength is { } length ? (int)length : 0;
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        });
        return await ClosedLoop.RunAsync(name, s.Concurrency, s.Warmup, s.Window, async (_, random, ct) =>
        {
            var userId = UserId(random.Next(s.Users));
            var started = Stopwatch.GetTimestamp();
            using var response = await client.GetAsync(FeedPath(userId, s.K), HttpCompletionOption.ResponseContentRead, ct);
            return response.IsSuccessStatusCode ? ClosedLoop.Milliseconds(started) : null;
        });
    }

    /// <summary>
    /// The ceiling: a bare Kestrel endpoint (same server stack, same port kind, nothing behind it) answering every
    /// feed request with one precomputed body as large as a real feed of the target, under the same load.
    /// </summary>
    public static async Task<Measurement> CeilingAsync(LoadSettings s)
    {
        var (app, bodyBytes) = await StartCeilingAsync(s, "http://127.0.0.1:0");
        await using var _ = app;
        var address = new Uri(app.Urls.First());
        // The ceiling's server is this process, not the watched silo: only this process is watched ("load", the client
        // and the bare server together); less the client's own CPU in the feed window, it is the bare server's CPU.
        var watched = ClosedLoop.Watched;
        ClosedLoop.Watched = [.. watched.Where(p => p.Name == WatchedProcess.Self)];
        try
        {
            return await CachedFeedsAsync(s with { Target = address }, $"ceiling ({bodyBytes:N0} B body)");
        }
        finally
        {
            ClosedLoop.Watched = watched;
        }
    }

    /// <summary>
    /// The bare Kestrel endpoint of <see cref="CeilingAsync"/>, listening on <paramref name="url"/>: every feed request gets
    /// the body, ETag and Cache-Control of user 1's feed at <c>s.Target</c>, fetched once now.
    /// </summary>
    public static async Task<(WebApplication App, int BodyBytes)> StartCeilingAsync(LoadSettings s, string url)
    {
        byte[] body;
        string? etag;
        string? cacheControl;
        using (var client = Client(s.Target, 1))
        {
            using var feed = await client.GetAsync(FeedPath(UserId(0), s.K));
            body = await feed.EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync();
            etag = feed.Headers.ETag?.ToString();
            cacheControl = feed.Headers.CacheControl?.ToString();
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls(url);
        var app = builder.Build();
        // The same response as the service's: body, content type and the headers a feed carries (ETag, Cache-Control).
        app.MapGet("/v1/users/{userId}/feed", (HttpResponse response) =>
        {
            response.Headers.ETag = etag;
            response.Headers.CacheControl = cacheControl;
            return Results.Bytes(body, "application/json; charset=utf-8");
        });
        await app.StartAsync();
        Console.WriteLine($"ceiling: bare Kestrel at {app.Urls.First()} answering {body.Length:N0}-byte feed bodies (ETag {etag}, Cache-Control {cacheControl})");
        return (app, body.Length);
    }

    /// <summary>
    /// Re-scored feeds and click-to-feed freshness. Each step: click the first item of the user's last feed (POST
    /// /v1/events; the click is applied when it answers 200, and invalidates the cached feed), then read the feed
    /// until the clicked item is gone. The first read is a re-scored feed; freshness is the time from the click's
    /// 200 to the first feed without the item. Each worker owns its users, so no two steps of one user overlap.
    /// </summary>
    public static async Task<(Measurement Rescored, Measurement Freshness, Measurement Click)> FreshnessAsync(LoadSettings s)
    {
        using var client = Client(s.Target, s.Concurrency);
        var lastFeeds = new Dictionary<string, string>[s.Concurrency];
        for (var w = 0; w < s.Concurrency; w++) lastFeeds[w] = [];
        var freshness = new LatencyLog(s.Concurrency);
        var clicks = new LatencyLog(s.Concurrency);
        var run = Guid.NewGuid().ToString("N")[..8];
        var counters = new long[s.Concurrency];
        var stale = 0L;
        var warmupEnds = Stopwatch.GetTimestamp() + (long)(s.Warmup.TotalSeconds * Stopwatch.Frequency);

        var rescored = await ClosedLoop.RunAsync("feed (re-scored after a click)", s.Concurrency, s.Warmup, s.Window, async (w, random, ct) =>
        {
            var ownUsers = (s.Users - w + s.Concurrency - 1) / s.Concurrency;
            var userId = UserId(w + s.Concurrency * random.Next(ownUsers));
            if (!lastFeeds[w].TryGetValue(userId, out var top))
            {
                top = FirstItem(await client.GetStringAsync(FeedPath(userId, s.K), ct));
            }
            var clickBody = $$"""[{"eventId":"fresh-{{run}}-{{w}}-{{counters[w]++}}","userId":"{{userId}}","itemId":"{{top}}","type":"click","timestamp":"{{DateTimeOffset.UtcNow:O}}"}]""";
            var clickStarted = Stopwatch.GetTimestamp();
            using (var click = await client.PostAsync("/v1/events", new StringContent(clickBody, Encoding.UTF8, "application/json"), ct))
            {
                if (!click.IsSuccessStatusCode) return null;
            }
            var applied = Stopwatch.GetTimestamp();
            var measuring = applied >= warmupEnds;
            if (measuring) clicks.Add(w, ClosedLoop.Milliseconds(clickStarted));

            double? firstRead = null;
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var readStarted = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync(FeedPath(userId, s.K), ct);
                if (!response.IsSuccessStatusCode) return null;
                var json = await response.Content.ReadAsStringAsync(ct);
                firstRead ??= ClosedLoop.Milliseconds(readStarted);
                if (!ContainsItem(json, top!))
                {
                    if (measuring) freshness.Add(w, ClosedLoop.Milliseconds(applied));
                    lastFeeds[w][userId] = FirstItem(json);
                    return firstRead;
                }
                Interlocked.Increment(ref stale);
            }
            freshness.Error(w);
            return null;
        });
        if (stale > 0) Console.WriteLine($"fresh: {stale:N0} feed reads still showed the clicked item");
        return (rescored, freshness.ToMeasurement("click-to-feed freshness", s.Window), clicks.ToMeasurement("click (POST /v1/events)", s.Window));
    }

    /// <summary>
    /// POST /v1/events batches of random clicks (users of the catalogue, items seen in their feeds). The load generator
    /// shares the machine's cores with the silo and Redis, so its own cost per event is kept small: each worker serialises
    /// a few bodies once and, per request, only overwrites the fixed-width counter in every event id (ids stay unique, so
    /// nothing is a duplicate), instead of formatting 100 events of JSON per request.
    /// </summary>
    public static async Task<Measurement> IngestHttpAsync(LoadSettings s, int batch)
    {
        using var client = Client(s.Target, s.Concurrency);
        var items = await ItemPoolAsync(client, s);
        var run = Guid.NewGuid().ToString("N")[..8];
        var bodies = Enumerable.Range(0, s.Concurrency).Select(w => PatchedBodies.Create(run, w, batch, s.Users, items)).ToArray();
        return await ClosedLoop.RunAsync($"ingest HTTP (batches of {batch})", s.Concurrency, s.Warmup, s.Window, async (w, random, ct) =>
        {
            var body = bodies[w].Next(random);
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = PatchedBodies.Json;
            var started = Stopwatch.GetTimestamp();
            using var response = await client.PostAsync("/v1/events", content, ct);
            return response.IsSuccessStatusCode ? ClosedLoop.Milliseconds(started) : null;
        }, batch);
    }

    /// <summary>
    /// Random clicks through Redis Streams. Live: XADD as fast as one pipelined connection allows while the silos
    /// consume, timed until everything is applied and acknowledged (producer and silo share the CPU). Prefilled:
    /// XADD to <c>{stream}:prefill</c> first, then swap it in (see <see cref="SwapInAndTimeAsync"/>), so only the
    /// consumers are timed.
    /// </summary>
    public static async Task<Drained?> IngestRedisAsync(LoadSettings s, string redis, string stream, int events, bool prefill)
    {
        using var client = Client(s.Target, 4);
        var items = await ItemPoolAsync(client, s);
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis);
        var db = connection.GetDatabase();
        var groups = await db.StreamGroupInfoAsync(stream);
        if (groups.Length == 0) throw new InvalidOperationException($"Stream {stream} has no consumer group: is EventStream:Enabled set on the silo?");
        await DrainAsync(db, stream, TimeSpan.FromMinutes(5));

        var random = new Random(7);
        var run = Guid.NewGuid().ToString("N")[..8];
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var key = prefill ? $"{stream}:prefill" : stream;
        var started = Stopwatch.GetTimestamp();
        const int pipeline = 1_000;
        for (var offset = 0; offset < events; offset += pipeline)
        {
            var adds = new List<Task>(pipeline);
            for (var i = offset; i < Math.Min(events, offset + pipeline); i++)
            {
                adds.Add(db.StreamAddAsync(key,
                [
                    new("eventId", $"rs-{run}-{i}"), new("userId", UserId(random.Next(s.Users))), new("itemId", items[random.Next(items.Length)]),
                    new("type", "click"), new("timestamp", timestamp),
                ]));
            }
            await Task.WhenAll(adds);
        }
        var produced = Stopwatch.GetElapsedTime(started);
        if (prefill)
        {
            Console.WriteLine($"prefilled {events:N0} random clicks in {produced.TotalSeconds:F2} s");
            return await SwapInAndTimeAsync(db, key, stream, "ingest Redis Streams (prefilled)");
        }
        var drained = await DrainAsync(db, stream, TimeSpan.FromMinutes(10));
        var total = Stopwatch.GetElapsedTime(started);
        Console.WriteLine($"{"ingest Redis Streams (live)",-28} {events / total.TotalSeconds,9:N0} events/s applied end to end ({events:N0} events: XADD took {produced.TotalSeconds:F2} s " +
            $"({events / produced.TotalSeconds:N0}/s), all applied and acknowledged after {total.TotalSeconds:F2} s){(drained ? "" : " — NOT DRAINED")}");
        return null;
    }

    /// <summary>
    /// Replaces the consumed stream with a prefilled one (RENAME drops the old stream and its group; the silos see
    /// NOGROUP and create the group again from the first entry) and times until every entry is applied and
    /// acknowledged: the consumers' throughput alone, without a producer competing for the CPU.
    /// </summary>
    public static async Task<Drained> SwapInAndTimeAsync(IDatabase db, string prefilled, string stream, string name)
    {
        var events = await db.StreamLengthAsync(prefilled);
        if (events == 0) throw new InvalidOperationException($"{prefilled} is empty.");
        // The watched processes' CPU over the drain, divided by its events: comparable under load, unlike events/s.
        var cpu = new CpuWindow(ClosedLoop.Watched);
        cpu.Start();
        var started = Stopwatch.GetTimestamp();
        await db.KeyRenameAsync(prefilled, stream);
        while ((await db.StreamGroupInfoAsync(stream)).Length == 0) await Task.Delay(1);
        var drained = await DrainAsync(db, stream, TimeSpan.FromMinutes(10));
        var elapsed = Stopwatch.GetElapsedTime(started);
        cpu.Stop();
        var result = new Drained(name, events, elapsed, drained, cpu.UsedSeconds);
        Console.WriteLine(result);
        return result;
    }

    private static async Task<bool> DrainAsync(IDatabase db, string stream, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var groups = await db.StreamGroupInfoAsync(stream);
            if (groups.All(g => g.Lag == 0 && g.PendingMessageCount == 0)) return true;
            await Task.Delay(5);
        }
        return false;
    }

    /// <summary>Item ids known to the catalogue: those in the first users' feeds.</summary>
    private static async Task<string[]> ItemPoolAsync(HttpClient client, LoadSettings s)
    {
        var items = new HashSet<string>(StringComparer.Ordinal);
        for (var u = 0; u < Math.Min(s.Users, 30); u++)
        {
            using var feed = JsonDocument.Parse(await client.GetStringAsync(FeedPath(UserId(u), 100)));
            foreach (var item in feed.RootElement.GetProperty("items").EnumerateArray()) items.Add(item.GetProperty("itemId").GetString()!);
        }
        return [.. items];
    }

    private static async Task ForEachUserAsync(LoadSettings s, Func<string, Task<int>> action)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, s.Concurrency).Select(async _ =>
        {
            for (var u = Interlocked.Increment(ref next); u < s.Users; u = Interlocked.Increment(ref next)) await action(UserId(u));
        }));
    }

    internal static string FirstItem(string feedJson)
    {
        using var feed = JsonDocument.Parse(feedJson);
        return feed.RootElement.GetProperty("items")[0].GetProperty("itemId").GetString()!;
    }

    internal static bool ContainsItem(string feedJson, string itemId)
    {
        using var feed = JsonDocument.Parse(feedJson);
        return feed.RootElement.GetProperty("items").EnumerateArray().Any(i => i.GetProperty("itemId").GetString() == itemId);
    }
}
