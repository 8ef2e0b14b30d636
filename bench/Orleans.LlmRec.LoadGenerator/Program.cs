using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Orleans.LlmRec.LoadGenerator;

// llmrec-load: load against a running silo over loopback. Every scenario prints one line per measurement:
// rate, p50/p90/p99/max latency, count and errors of the measured window (warm-up excluded).
var target = new Option<string>("--target") { Description = "The service, e.g. http://127.0.0.1:5000.", Required = true };
var users = new Option<int>("--users") { Description = "Users 1..N of the served data set (ml-latest-small: 610).", DefaultValueFactory = _ => 610 };
var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight (closed loop).", DefaultValueFactory = _ => 16 };
var warmup = new Option<double>("--warmup") { Description = "Seconds of warm-up, not measured.", DefaultValueFactory = _ => 3 };
var duration = new Option<double>("--duration") { Description = "Seconds measured.", DefaultValueFactory = _ => 10 };
var k = new Option<int>("--k") { Description = "Feed length.", DefaultValueFactory = _ => 20 };
var cpuOf = new Option<string?>("--cpu-of") { Description = "Report these processes' CPU per operation over each measured window, e.g. silo=1234,redis=5678 (Linux)." };

LoadSettings Read(ParseResult r)
{
    ClosedLoop.Watched = WatchedProcess.ParseList(r.GetValue(cpuOf));
    return ReadSettings(r);
}

LoadSettings ReadSettings(ParseResult r) => new(new Uri(r.GetValue(target)!), r.GetValue(users), r.GetValue(concurrency),
    TimeSpan.FromSeconds(r.GetValue(warmup)), TimeSpan.FromSeconds(r.GetValue(duration)), r.GetValue(k));

Command WithCommon(Command command)
{
    foreach (var option in new Option[] { target, users, concurrency, warmup, duration, k, cpuOf }) command.Options.Add(option);
    return command;
}

var ceiling = new Option<bool>("--ceiling") { Description = "Also measure a bare Kestrel endpoint answering a precomputed body of the same size." };
var feed = WithCommon(new Command("feed", "Cached feeds: every user's feed built once, then random users' feeds read."));
feed.Options.Add(ceiling);
feed.SetAction(async r =>
{
    var s = Read(r);
    Console.WriteLine(await Scenarios.CachedFeedsAsync(s));
    if (r.GetValue(ceiling)) Console.WriteLine(await Scenarios.CeilingAsync(s));
});

var fresh = WithCommon(new Command("fresh", "Click, then read the feed until it reflects the click: re-scored feed latency and click-to-feed freshness."));
fresh.SetAction(async r =>
{
    var (rescored, freshness, click) = await Scenarios.FreshnessAsync(Read(r));
    Console.WriteLine(rescored);
    Console.WriteLine(click);
    Console.WriteLine(freshness);
});

var itemsFresh = WithCommon(new Command("items", "Publish an item matching a user, read their feed until it holds it: PUT-to-feed freshness (live catalogue)."));
itemsFresh.SetAction(async r =>
{
    var (freshness, put) = await ItemFreshness.RunAsync(Read(r));
    Console.WriteLine(put);
    Console.WriteLine(freshness);
});

var batch = new Option<int>("--batch") { Description = "Events per POST /v1/events.", DefaultValueFactory = _ => 100 };
var redis = new Option<string?>("--redis") { Description = "Redis (host:port): XADD to the stream instead of POSTing, and time until the consumers applied everything." };
var stream = new Option<string>("--stream") { Description = "Stream key (the silo's EventStream:Key).", DefaultValueFactory = _ => "llmrec:events" };
var events = new Option<int>("--events") { Description = "Events to add (Redis).", DefaultValueFactory = _ => 100_000 };
var prefill = new Option<bool>("--prefill") { Description = "Redis: add every event first, then swap the stream in, so only the consumers are timed." };
var ingest = WithCommon(new Command("ingest", "Ingestion throughput: HTTP batches (closed loop), or Redis Streams (--redis)."));
ingest.Options.Add(batch);
ingest.Options.Add(redis);
ingest.Options.Add(stream);
ingest.Options.Add(events);
ingest.Options.Add(prefill);
ingest.SetAction(async r =>
{
    var s = Read(r);
    if (r.GetValue(redis) is { } connection) await Scenarios.IngestRedisAsync(s, connection, r.GetValue(stream)!, r.GetValue(events), r.GetValue(prefill));
    else Console.WriteLine(await Scenarios.IngestHttpAsync(s, r.GetValue(batch)));
});

var from = new Option<string>("--from") { Description = "The prefilled stream to swap in (e.g. written by llmrec replay --stream llmrec:events:prefill).", Required = true };
var drainRedis = new Option<string>("--redis") { Description = "Redis (host:port).", Required = true };
var drain = new Command("drain", "Swap a prefilled stream in for the consumed one and time until the silos applied it all.") { drainRedis, stream, from };
drain.SetAction(async r =>
{
    await using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(r.GetValue(drainRedis)!);
    await Scenarios.SwapInAndTimeAsync(connection.GetDatabase(), r.GetValue(from)!, r.GetValue(stream)!, "drain (prefilled stream)");
});

var sideBySide = WithCommon(new Command("side-by-side", "Issue 15's acceptance in one run: cached feeds vs bare Kestrel, click-to-feed, HTTP and Redis Streams ingestion; one table."));
var sideRedis = new Option<string>("--redis") { Description = "Redis (host:port) the silo consumes the stream of.", Required = true };
sideBySide.Options.Add(sideRedis);
sideBySide.Options.Add(stream);
sideBySide.Options.Add(events);
sideBySide.Options.Add(batch);
sideBySide.SetAction(async r => await SideBySide.RunAsync(Read(r), r.GetValue(sideRedis)!, r.GetValue(stream)!, r.GetValue(events), r.GetValue(batch)));

var listen = new Option<string>("--listen") { Description = "Where the bare endpoint listens, e.g. http://127.0.0.1:5081.", Required = true };
var serveCeiling = WithCommon(new Command("serve-ceiling", "Only the bare Kestrel endpoint of --ceiling, in this process until stopped: measured apart from the client (bench/serving.sh feed-apart)."));
serveCeiling.Options.Add(listen);
serveCeiling.SetAction(async r =>
{
    var (app, _) = await Scenarios.StartCeilingAsync(ReadSettings(r), r.GetValue(listen)!);
    await using (app) await app.WaitForShutdownAsync();
});

var root = new RootCommand("llmrec-load: load generator for a running Orleans.LlmRec silo (results in bench/RESULTS.md).") { feed, fresh, itemsFresh, ingest, drain, sideBySide, serveCeiling };
return await root.Parse(args).InvokeAsync();
