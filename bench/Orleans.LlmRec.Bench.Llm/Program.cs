using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Llm.Queue;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;
using Orleans.LlmRec.Silo.Hosting;
using Orleans.LlmRec.Testing.OpenAiStub;

// LLM off the request path (issue 5). Usage:
//   dotnet run -c Release --project bench/Orleans.LlmRec.Bench.Llm -- [latency|clicks|all|stub] [--data DIR] [--users N]
//       [--rounds N] [--order 10ms,5s,down] [--warm-up N] [--llm-process true] [--set "Key=Value;Key=Value"] [--stream-users N] [--hours H]
//       [--clicks-per-hour N] [--seconds-per-hour S]
// latency: feed p50/p99 over loopback HTTP with the scripted model answering in 10 ms, in 5 s, or unreachable.
//          --order picks and orders the rows (one row per process removes order effects), --warm-up N runs N users
//          through answered and failed LLM paths on throw-away silos first, --llm-process true runs the scripted
//          server in a child process (the stub command) so its CPU is measured apart; each row also reports CPU, JIT, GC.
// clicks:  LLM calls per active user per hour and tokens per call under a Poisson click stream in compressed time
//          (every duration of the refresh policy is divided by the same factor, so calls per simulated hour match).
var command = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
var options = Options.Parse(args);
if (command == "stub")
{
    // The scripted server alone, for --llm-process: prints its address, then obeys stdin ("delay MS" changes the
    // answer delay, "count" prints the requests served so far) until stdin closes.
    await using var stub = await ScriptedOpenAiServer.StartAsync();
    var stubDelay = TimeSpan.FromMilliseconds(options.GetInt("delay-ms", 10));
    stub.Fallback = request => Bench.Answer(request).After(stubDelay);
    Console.WriteLine(stub.BaseAddress);
    while (await Console.In.ReadLineAsync() is { } line)
    {
        if (line.StartsWith("delay ", StringComparison.Ordinal)) stubDelay = TimeSpan.FromMilliseconds(int.Parse(line[6..], CultureInfo.InvariantCulture));
        if (line == "count") Console.WriteLine(stub.RequestCount);
    }
    return;
}
var data = options.Get("data", "/work/shared/data/ml-latest-small");
var modelDirectory = Directory.CreateTempSubdirectory("llmrec-bench-llm-").FullName;
try
{
    var dataset = DatasetLoader.Load(data, "auto");
    var clock = Stopwatch.StartNew();
    var model = ModelTrainers.Create(ModelKind.Bpr, new TrainerSettings { Seed = 42 }).Train(dataset);
    ModelDirectory.Save(modelDirectory, model, dataset.Users, dataset.Items,
        ModelDirectory.CreateManifest(model, dataset.Users, dataset.Items, dataset.Name, 42, clock.Elapsed.TotalSeconds));
    Console.WriteLine($"{dataset.Name}: {dataset.UserCount} users, {dataset.ItemCount} items; BPR trained in {clock.Elapsed.TotalSeconds:0.0} s");
    var bench = new Bench(data, modelDirectory, dataset);

    if (command is "latency" or "all")
    {
        var users = options.GetInt("users", 100);
        var rounds = options.GetInt("rounds", 10);
        Console.WriteLine();
        // --warm-up N: before the rows, N users go through clicks and feeds on a throw-away silo whose LLM answers,
        // then on one whose LLM is down, so every row starts with the same code paths compiled (0 = off).
        var warmUp = options.GetInt("warm-up", 0);
        // --llm-process true: the scripted server runs in a child process, so its CPU is measured apart from the silo's,
        // and every row's silo warms up against it answering before it is slowed (5 s) or stopped (down).
        var llmProcess = options.Get("llm-process", "false") == "true";
        foreach (var setting in options.Get("set", "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = setting.Split('=', 2);
            bench.RowSettings[parts[0]] = parts[1];
        }
        if (warmUp > 0) Console.WriteLine(await bench.WarmUpAsync(warmUp));
        Console.WriteLine($"Feed latency, {users} users x {rounds} rounds after one warm-up round (click, feed after the click, feed again), 8 clients in parallel, loopback HTTP");
        Console.WriteLine("| LLM | feed after a click p50 / p99 (ms) | cached feed p50 / p99 (ms) | feeds | reranked | degraded | fallback | LLM requests | max queue depth / bound |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        var rows = new Dictionary<string, (string Name, TimeSpan? Delay)>
        {
            ["10ms"] = ("answers in 10 ms", TimeSpan.FromMilliseconds(10)),
            ["5s"] = ("answers in 5 s", TimeSpan.FromSeconds(5)),
            ["down"] = ("down (connection refused)", null),
        };
        // --order down,5s,10ms runs the rows in another order: the first row also pays JIT warm-up.
        var order = options.Get("order", "10ms,5s,down").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var (name, delay) in order.Select(key => rows.TryGetValue(key, out var row) ? row : throw new ArgumentException($"--order: unknown row '{key}' (10ms, 5s, down).")))
        {
            Console.WriteLine(await bench.LatencyAsync(name, delay, users, rounds, llmProcess));
        }
        Console.WriteLine();
        Console.WriteLine("Per row, over its run (its warm-up round included): CPU = this process's CPU time (silo, clients, and the scripted server when in process); " +
            "LLM server CPU = the child process's, when --llm-process true; JIT = methods compiled and time spent compiling; GC = collections gen0/gen1/gen2.");
        foreach (var line in bench.Diagnostics) Console.WriteLine(line);
    }
    if (command is "clicks" or "all")
    {
        Console.WriteLine();
        Console.WriteLine(await bench.ClickStreamAsync(
            options.GetInt("stream-users", 200), options.GetInt("hours", 2), options.GetInt("clicks-per-hour", 20), options.GetInt("seconds-per-hour", 60)));
    }
}
finally
{
    Directory.Delete(modelDirectory, recursive: true);
}

internal sealed class Bench(string dataPath, string modelDirectory, RatingsDataset dataset)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } };

    public List<string> Diagnostics { get; } = [];

    /// <summary>Extra silo settings for the measured rows (<c>--set Key=Value</c>, e.g. <c>--set Llm:TokensPerMinute=0</c>).</summary>
    public Dictionary<string, string> RowSettings { get; } = [];

    /// <summary>
    /// Exercises every code path the rows use (clicks, feeds, LLM answers applied and fused, LLM failures and the open
    /// circuit) on throw-away silos, so that no row pays first-call JIT and tier-up for paths the others never reach.
    /// </summary>
    public async Task<string> WarmUpAsync(int users)
    {
        var clock = Stopwatch.StartNew();
        var warmUsers = dataset.Users.ExternalIds.Reverse().Take(users).ToList();
        var reranked = 0;
        await using (var llm = await ScriptedOpenAiServer.StartAsync())
        {
            llm.Fallback = request => Answer(request).After(TimeSpan.FromMilliseconds(10));
            await using var silo = await Silo.StartAsync(dataPath, modelDirectory, new Dictionary<string, string>
            {
                ["Llm:Endpoint"] = llm.BaseAddress.ToString(),
                ["Llm:TokensPerMinute"] = "0",
            });
            for (var round = 0; round < 3; round++)
            {
                await Parallel.ForEachAsync(warmUsers, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (user, _) =>
                {
                    var feed = await silo.FeedAsync(user);
                    await silo.ClickAsync(user, feed.Items[round % feed.Items.Count].ItemId);
                    await silo.FeedAsync(user);
                });
                await silo.Queue.WhenIdleAsync();
                await Parallel.ForEachAsync(warmUsers, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (user, _) =>
                {
                    if ((await silo.FeedAsync(user)).Source.ToString() == "Reranked") Interlocked.Increment(ref reranked);
                    await silo.FeedAsync(user);
                });
            }
        }
        await using (var down = await Silo.StartAsync(dataPath, modelDirectory, new Dictionary<string, string> { ["Llm:Endpoint"] = $"http://127.0.0.1:{FreePort()}/v1" }))
        {
            for (var round = 0; round < 3; round++)
            {
                await Parallel.ForEachAsync(warmUsers, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (user, _) =>
                {
                    var feed = await down.FeedAsync(user);
                    await down.ClickAsync(user, feed.Items[round % feed.Items.Count].ItemId);
                    await down.FeedAsync(user);
                    await down.FeedAsync(user);
                });
                await Task.Delay(200);
            }
        }
        // Tiered compilation recompiles hot methods in the background, and waits while new methods keep appearing;
        // let it finish so the rows do not share the machine with the JIT.
        var settled = await JitSettledAsync(TimeSpan.FromSeconds(20));
        return $"Warm-up: {users} users x 3 rounds with the LLM answering ({reranked} re-ranked feeds), then 3 rounds with it down, in {clock.Elapsed.TotalSeconds:0.0} s; " +
            $"JIT {(settled ? "settled" : "still compiling after 20 s")} ({System.Runtime.JitInfo.GetCompiledMethodCount()} methods compiled in all)";
    }

    private static async Task<bool> JitSettledAsync(TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        var before = System.Runtime.JitInfo.GetCompiledMethodCount();
        while (clock.Elapsed < limit)
        {
            await Task.Delay(1000);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now - before < 5) return true;
            before = now;
        }
        return false;
    }

    public async Task<string> LatencyAsync(string name, TimeSpan? llmDelay, int users, int rounds, bool llmProcess = false)
    {
        await using var llm = llmDelay is { } delay && !llmProcess ? await ScriptedOpenAiServer.StartAsync() : null;
        if (llm is not null) llm.Fallback = request => Answer(request).After(llmDelay!.Value);
        // With the stub in a child process, every row's silo first warms up against it answering in 10 ms (so each
        // host has built and run the answered path once), then the stub is slowed to the row's delay or stopped.
        using var child = llmProcess ? StubProcess.Start(TimeSpan.FromMilliseconds(10)) : null;
        var endpoint = llm?.BaseAddress.ToString() ?? child?.BaseAddress ?? $"http://127.0.0.1:{FreePort()}/v1";
        var siloSettings = new Dictionary<string, string>(RowSettings) { ["Llm:Endpoint"] = endpoint };
        await using var silo = await Silo.StartAsync(dataPath, modelDirectory, siloSettings);
        var hostWarmUp = "";
        if (child is not null)
        {
            var warmUsers = dataset.Users.ExternalIds.Reverse().Take(10).ToList();
            for (var round = 0; round < 3; round++)
            {
                await Parallel.ForEachAsync(warmUsers, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (user, _) =>
                {
                    var feed = await silo.FeedAsync(user);
                    await silo.ClickAsync(user, feed.Items[round % feed.Items.Count].ItemId);
                    await silo.FeedAsync(user);
                });
                using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                try { await silo.Queue.WhenIdleAsync(patience.Token); } catch (OperationCanceledException) { }
                foreach (var user in warmUsers) await silo.FeedAsync(user);
            }
            hostWarmUp = $" (host warm-up: {child.Requests()} LLM requests)";
            if (llmDelay is { } rowDelay) child.SetDelay(rowDelay);
            else child.Stop();
            await JitSettledAsync(TimeSpan.FromSeconds(10));
        }
        using var sampler = new DepthSampler(silo.Queue);
        var requestsBefore = llm?.RequestCount ?? 0;
        var childRequestsBefore = llmDelay is not null ? child?.Requests() ?? 0 : 0;
        var cpu = CpuWindow.Start(child);

        var afterClick = new ConcurrentBag<double>();
        var cached = new ConcurrentBag<double>();
        var sources = new ConcurrentDictionary<string, int>();
        var degraded = 0;
        var userIds = dataset.Users.ExternalIds.Take(users).ToList();
        await Parallel.ForEachAsync(userIds, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (user, _) =>
        {
            var random = new Random(user.GetHashCode(StringComparison.Ordinal));
            var feed = await silo.FeedAsync(user);
            // Round 0 warms up (JIT, activations) and is not measured.
            for (var round = 0; round <= rounds; round++)
            {
                var item = feed.Items[random.Next(Math.Min(10, feed.Items.Count))].ItemId;
                await silo.ClickAsync(user, item);
                var clock = Stopwatch.StartNew();
                feed = await silo.FeedAsync(user);
                if (round == 0)
                {
                    await silo.FeedAsync(user);
                    continue;
                }
                afterClick.Add(clock.Elapsed.TotalMilliseconds);
                sources.AddOrUpdate(feed.Source.ToString(), 1, (_, n) => n + 1);
                if (feed.Degraded) Interlocked.Increment(ref degraded);
                clock.Restart();
                await silo.FeedAsync(user);
                cached.Add(clock.Elapsed.TotalMilliseconds);
            }
        });
        Diagnostics.Add($"- {name}: {cpu.Stop()}{hostWarmUp}");
        var childRequests = llmDelay is not null && child is not null ? (child.Requests() - childRequestsBefore).ToString(CultureInfo.InvariantCulture) : "0 (refused)";
        var total = afterClick.Count;
        return $"| {name} | {Percentile(afterClick, 0.5):0.0} / {Percentile(afterClick, 0.99):0.0} | {Percentile(cached, 0.5):0.0} / {Percentile(cached, 0.99):0.0} | {total} " +
            $"| {sources.GetValueOrDefault("Reranked")} | {degraded} | {sources.GetValueOrDefault("Fallback")} | {(llm is not null ? (llm.RequestCount - requestsBefore).ToString(CultureInfo.InvariantCulture) : childRequests)} " +
            $"| {sampler.Max} / {silo.Queue.Capacity} |";
    }

    public async Task<string> ClickStreamAsync(int users, int hours, int clicksPerHour, int secondsPerHour)
    {
        var scale = 3600.0 / secondsPerHour;
        TimeSpan Scaled(TimeSpan simulated) => TimeSpan.FromTicks((long)(simulated.Ticks / scale));
        await using var llm = await ScriptedOpenAiServer.StartAsync();
        var started = Stopwatch.StartNew();
        var calls = new ConcurrentDictionary<(int Hour, string Kind), int>();
        llm.Fallback = request =>
        {
            // Calls while the queue drains after the last click count towards the last hour.
            var hour = Math.Min(hours - 1, (int)(started.Elapsed.TotalSeconds / secondsPerHour));
            calls.AddOrUpdate((hour, IsRerank(request) ? "rerank" : "profile"), 1, (_, n) => n + 1);
            return Answer(request).After(TimeSpan.FromMilliseconds(10));
        };
        var settings = new Dictionary<string, string>
        {
            ["Llm:Endpoint"] = llm.BaseAddress.ToString(),
            ["Llm:ProfileRefreshInteractions"] = "10",
            ["Llm:ProfileRefreshInterval"] = Scaled(TimeSpan.FromMinutes(30)).ToString("c", CultureInfo.InvariantCulture),
            ["Llm:ProfileMinRefreshInterval"] = Scaled(TimeSpan.FromMinutes(1)).ToString("c", CultureInfo.InvariantCulture),
            ["Llm:ActiveUserWindow"] = Scaled(TimeSpan.FromMinutes(5)).ToString("c", CultureInfo.InvariantCulture),
            // The per-minute token budget does not compress with time; off, so the figures are the demand the policy makes.
            ["Llm:TokensPerMinute"] = "0",
        };
        await using var silo = await Silo.StartAsync(dataPath, modelDirectory, settings);
        using var sampler = new DepthSampler(silo.Queue);
        using var tokens = new TokenCounter(silo.Services.GetRequiredService<LlmMetrics>().Meter);

        // Poisson clicks per user over the simulated hours, replayed in compressed real time.
        var random = new Random(7);
        var userIds = dataset.Users.ExternalIds.Take(users).ToList();
        var schedule = new List<(double At, string User)>();
        foreach (var user in userIds)
        {
            for (var t = Exponential(random, 3600.0 / clicksPerHour); t < hours * 3600.0; t += Exponential(random, 3600.0 / clicksPerHour))
            {
                schedule.Add((t / scale, user));
            }
        }
        schedule.Sort((a, b) => a.At.CompareTo(b.At));
        var lastFeeds = new ConcurrentDictionary<string, Feed>();
        started.Restart();
        await Parallel.ForEachAsync(userIds, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (user, _) => lastFeeds[user] = await silo.FeedAsync(user));
        using var gate = new SemaphoreSlim(16);
        var pending = new List<Task>();
        var late = 0;
        foreach (var (at, user) in schedule)
        {
            var wait = TimeSpan.FromSeconds(at) - started.Elapsed;
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            else if (wait < TimeSpan.FromSeconds(-1)) late++;
            await gate.WaitAsync();
            pending.Add(Task.Run(async () =>
            {
                try
                {
                    var feed = lastFeeds[user];
                    var item = feed.Items[Random.Shared.Next(Math.Min(10, feed.Items.Count))].ItemId;
                    await silo.ClickAsync(user, item);
                    lastFeeds[user] = await silo.FeedAsync(user);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }
        await Task.WhenAll(pending);
        await silo.Queue.WhenIdleAsync();

        var lines = new List<string>
        {
            $"Click stream: {users} users, Poisson {clicksPerHour} clicks/user/hour (each followed by a feed request), {hours} simulated hours at {secondsPerHour} s per hour; " +
            $"refresh after 10 interactions or 30 min (min 1 min), re-rank when >= 20 % of the top 50 are unscored or the profile changed; {schedule.Count} clicks, {late} dispatched > 1 s late",
            "| simulated hour | clicks/user | profile calls/user | re-rank calls/user | LLM calls/user |",
            "| --- | --- | --- | --- | --- |",
        };
        for (var hour = 0; hour < hours; hour++)
        {
            var clicks = schedule.Count(s => (int)(s.At * scale / 3600) == hour);
            var profile = calls.GetValueOrDefault((hour, "profile"));
            var rerank = calls.GetValueOrDefault((hour, "rerank"));
            lines.Add($"| {hour + 1} | {(double)clicks / users:0.0} | {(double)profile / users:0.00} | {(double)rerank / users:0.00} | {(double)(profile + rerank) / users:0.00} |");
        }
        var profileCalls = calls.Where(c => c.Key.Kind == "profile").Sum(c => c.Value);
        var rerankCalls = calls.Where(c => c.Key.Kind == "rerank").Sum(c => c.Value);
        lines.Add("");
        lines.Add($"Tokens per call (scripted server's usage: prompt characters / 4, answer characters / 4): profile {tokens.PerCall("profile", profileCalls)}, " +
            $"re-rank {tokens.PerCall("rerank", rerankCalls)}; calls: {profileCalls} profile, {rerankCalls} re-rank; max queue depth {sampler.Max} / bound {silo.Queue.Capacity}");
        return string.Join(Environment.NewLine, lines);
    }

    internal static ScriptedReply Answer(RecordedRequest request)
    {
        if (!IsRerank(request)) return ScriptedReply.Text("Enjoys character-driven dramas and clever crime stories; avoids slapstick; drawn to 1990s classics.");
        var message = request.LastUserMessage;
        var start = message.IndexOf("<data>", StringComparison.Ordinal) + "<data>".Length;
        var end = message.LastIndexOf("</data>", StringComparison.Ordinal);
        var candidates = JsonNode.Parse(message[start..end])!["candidates"]!.AsArray();
        // Inverts the model's order: the most disruptive answer a model could give, so the fusion's effect is visible.
        var scores = candidates.Select((c, i) => new { itemId = c!["itemId"]!.GetValue<string>(), score = candidates.Count == 1 ? 1.0 : (double)i / (candidates.Count - 1) });
        return ScriptedReply.Json(new { scores = scores.ToArray() });
    }

    private static bool IsRerank(RecordedRequest request) => request.SystemMessage.Contains("ranking component", StringComparison.Ordinal);

    private static double Exponential(Random random, double mean) => -mean * Math.Log(1 - random.NextDouble());

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[(int)Math.Round(p * (sorted.Length - 1))];
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>The real silo host in process (localhost clustering, memory storage) on free loopback ports.</summary>
    private sealed class Silo : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly HttpClient _client;

        private Silo(WebApplication app, HttpClient client)
        {
            _app = app;
            _client = client;
        }

        public IServiceProvider Services => _app.Services;

        public LlmWorkQueue Queue => Services.GetRequiredService<LlmWorkQueue>();

        public static async Task<Silo> StartAsync(string dataPath, string modelDirectory, IReadOnlyDictionary<string, string> llm)
        {
            var ports = Enumerable.Range(0, 3).Select(_ => FreePort()).ToArray();
            var settings = new Dictionary<string, string>
            {
                ["Silo:SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
                ["Silo:GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
                ["Catalogue:DatasetPath"] = dataPath,
                ["Model:Directory"] = modelDirectory,
                ["Logging:LogLevel:Default"] = "Error",
                ["Llm:Model"] = "scripted",
            };
            foreach (var (key, value) in llm) settings[key] = value;
            var address = $"http://127.0.0.1:{ports[0].ToString(CultureInfo.InvariantCulture)}";
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                Args = settings.Select(s => $"--{s.Key}={s.Value}").Prepend($"--urls={address}").ToArray(),
                EnvironmentName = "Production",
                ContentRootPath = AppContext.BaseDirectory,
            });
            builder.Logging.ClearProviders();
            builder.AddLlmRecServices();
            var app = builder.Build();
            app.MapLlmRecApis();
            await app.StartAsync();
            var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 64 };
            return new Silo(app, new HttpClient(handler) { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) });
        }

        public async Task<Feed> FeedAsync(string user) =>
            (await _client.GetFromJsonAsync<Feed>($"/v1/users/{Uri.EscapeDataString(user)}/feed?k=20", Json))!;

        public async Task ClickAsync(string user, string item)
        {
            using var response = await _client.PostAsJsonAsync("/v1/events",
                new[] { new { eventId = Guid.NewGuid().ToString("N"), userId = user, itemId = item, type = "click", timestamp = DateTimeOffset.UtcNow } }, Json);
            response.EnsureSuccessStatusCode();
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>The scripted server in a child process (<c>stub</c> command); its CPU time is read from the OS.</summary>
    internal sealed class StubProcess : IDisposable
    {
        private readonly Process _process;

        private StubProcess(Process process, string baseAddress)
        {
            _process = process;
            BaseAddress = baseAddress;
        }

        public string BaseAddress { get; }

        private TimeSpan _lastCpu;

        public TimeSpan Cpu
        {
            get
            {
                if (_process.HasExited) return _lastCpu;
                _process.Refresh();
                return _lastCpu = _process.TotalProcessorTime;
            }
        }

        public void SetDelay(TimeSpan delay) => _process.StandardInput.WriteLine($"delay {(int)delay.TotalMilliseconds}");

        public int Requests()
        {
            _process.StandardInput.WriteLine("count");
            return int.Parse(_process.StandardOutput.ReadLine()!, CultureInfo.InvariantCulture);
        }

        /// <summary>Stops the server: its port now refuses connections.</summary>
        public void Stop()
        {
            _ = Cpu;
            _process.StandardInput.Close();
            if (!_process.WaitForExit(10_000)) _process.Kill();
        }

        public static StubProcess Start(TimeSpan delay)
        {
            var info = new ProcessStartInfo(Environment.ProcessPath!)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") info.ArgumentList.Add(typeof(Bench).Assembly.Location);
            info.ArgumentList.Add("stub");
            info.ArgumentList.Add("--delay-ms");
            info.ArgumentList.Add(((int)delay.TotalMilliseconds).ToString(CultureInfo.InvariantCulture));
            var process = Process.Start(info)!;
            var address = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("The stub process printed no address.");
            return new StubProcess(process, address.Trim());
        }

        public void Dispose()
        {
            if (!_process.HasExited) Stop();
            _process.Dispose();
        }
    }

    /// <summary>CPU time, JIT and GC counts over a measured window.</summary>
    private sealed class CpuWindow
    {
        private readonly StubProcess? _child;
        private readonly TimeSpan _cpu;
        private readonly TimeSpan _childCpu;
        private readonly long _jitMethods;
        private readonly TimeSpan _jitTime;
        private readonly int[] _gcs;
        private readonly Stopwatch _clock = Stopwatch.StartNew();

        private CpuWindow(StubProcess? child)
        {
            _child = child;
            _cpu = Process.GetCurrentProcess().TotalProcessorTime;
            _childCpu = child?.Cpu ?? TimeSpan.Zero;
            _jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount();
            _jitTime = System.Runtime.JitInfo.GetCompilationTime();
            _gcs = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        }

        public static CpuWindow Start(StubProcess? child) => new(child);

        public string Stop()
        {
            var wall = _clock.Elapsed.TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalSeconds;
            var child = _child is null ? "in process or none" : $"{(_child.Cpu - _childCpu).TotalSeconds:0.00} s";
            return $"wall {wall:0.0} s, CPU {cpu:0.00} s ({cpu / wall:0.00} cores), LLM server CPU {child}, " +
                $"JIT {System.Runtime.JitInfo.GetCompiledMethodCount() - _jitMethods} methods / {(System.Runtime.JitInfo.GetCompilationTime() - _jitTime).TotalMilliseconds:0} ms, " +
                $"GC {GC.CollectionCount(0) - _gcs[0]}/{GC.CollectionCount(1) - _gcs[1]}/{GC.CollectionCount(2) - _gcs[2]}";
        }
    }

    private sealed class DepthSampler : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _max;

        public DepthSampler(LlmWorkQueue queue) => _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                _max = Math.Max(_max, queue.Count);
                await Task.Delay(1);
            }
        });

        public int Max => Volatile.Read(ref _max);

        public void Dispose()
        {
            _stop.Cancel();
            _loop.Wait();
            _stop.Dispose();
        }
    }

    private sealed class TokenCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<(string Operation, string Direction), long> _sums = new();

        public TokenCounter(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == "llmrec.llm.tokens") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? operation = null, direction = null;
                foreach (var tag in tags)
                {
                    if (tag.Key == "operation") operation = tag.Value as string;
                    if (tag.Key == "direction") direction = tag.Value as string;
                }
                _sums.AddOrUpdate((operation ?? "?", direction ?? "?"), value, (_, sum) => sum + value);
            });
            _listener.Start();
        }

        public string PerCall(string operation, int calls) => calls == 0
            ? "n/a"
            : $"{(double)_sums.GetValueOrDefault((operation, "input")) / calls:0} in + {(double)_sums.GetValueOrDefault((operation, "output")) / calls:0} out";

        public void Dispose() => _listener.Dispose();
    }
}

internal sealed class Options(Dictionary<string, string> values)
{
    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i].StartsWith("--", StringComparison.Ordinal)) values[args[i][2..]] = args[i + 1];
        }
        return new Options(values);
    }

    public string Get(string name, string fallback) => values.GetValueOrDefault(name, fallback);

    public int GetInt(string name, int fallback) => values.TryGetValue(name, out var text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;
}
