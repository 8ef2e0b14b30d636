using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Orleans.LlmRec.Recommendation.Data;
using Spectre.Console;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>
/// <c>llmrec replay</c>: streams a data set's interactions, oldest first, into a running service, over HTTP
/// (<c>POST /v1/events</c> batches) or a Redis stream (XADD), paced at a given rate. Event ids are a hash of user,
/// item and timestamp, so replaying twice applies nothing new: the service de-duplicates by id.
/// </summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var data = CliOptions.Data();
        var format = CliOptions.Format();
        var rate = new Option<int>("--rate") { Description = "Events per second to aim for; 0 sends as fast as the target takes them.", Required = true };
        var target = new Option<string>("--target") { Description = "http://host:port (the service) or redis://[:password@]host:port (a Redis stream the silos consume).", Required = true };
        var stream = new Option<string>("--stream") { Description = "Stream key for a redis:// target (the silos' EventStream:Key).", DefaultValueFactory = _ => "llmrec:events" };
        var limit = new Option<int?>("--limit") { Description = "Replay only the first M interactions (oldest first)." };
        var batch = new Option<int?>("--batch") { Description = "Events per HTTP request or Redis pipeline (default: about 50 sends a second at the rate, at most 500)." };
        var lanes = new Option<int>("--concurrency") { Description = "HTTP requests in flight; a user's events always share one, so their order is kept.", DefaultValueFactory = _ => 4 };
        var type = new Option<string>("--type") { Description = "Event type: 'rating' sends the data set's ratings, 'click' sends every interaction as a click; 'auto' picks rating when the data has explicit ratings.", DefaultValueFactory = _ => "auto" };
        type.AcceptOnlyFromAmong("auto", "rating", "click");
        var timestamps = new Option<string>("--timestamps") { Description = "'original' keeps the data set's times; 'now' stamps each event when it is sent (ids still use the original time).", DefaultValueFactory = _ => "original" };
        timestamps.AcceptOnlyFromAmong("original", "now");
        var maxLength = new Option<long?>("--max-length") { Description = "Redis target: trim the stream to about this many entries (XADD MAXLEN ~)." };
        var items = new Option<string?>("--items") { Description = "A JSON-lines file of item publications ({itemId, publishedAt, title, text, tags}; \"op\":\"delete\" retires), each published (PUT /v1/items, or the item stream) when the replay reaches its time." };
        var itemStream = new Option<string>("--item-stream") { Description = "Item stream key for a redis:// target (the silos' Catalogue:ItemStreamKey).", DefaultValueFactory = _ => "llmrec:items" };
        var wait = new Option<bool>("--wait") { Description = "Redis target: afterwards, wait until the consumer groups have applied everything and report their rate." };
        var command = new Command("replay", "Stream a data set's interactions in time order into a running service (HTTP or Redis Streams), paced, with a summary.")
        {
            data, format, rate, target, stream, limit, batch, lanes, type, timestamps, maxLength, wait, items, itemStream,
        };
        command.SetAction((result, cancellationToken) => ConsoleUi.RunAsync(async ct =>
        {
            var eventsPerSecond = result.GetValue(rate);
            if (eventsPerSecond < 0) throw new CliUsageException("--rate must be 0 (unpaced) or positive.");
            var targetUri = ParseTarget(result.GetValue(target)!);
            var dataset = ConsoleUi.LoadDataset(result.GetValue(data)!, result.GetValue(format)!);
            var events = Plan(dataset, result.GetValue(type)!, result.GetValue(limit));
            if (events.Count == 0) throw new CliUsageException("The data set has no interactions to replay.");
            var batchSize = result.GetValue(batch) ?? Math.Clamp(eventsPerSecond / 50, 1, 500);
            if (eventsPerSecond == 0 && result.GetValue(batch) is null) batchSize = 500;
            if (batchSize < 1) throw new CliUsageException("--batch must be positive.");

            await using IReplaySink sink = targetUri.Scheme is "http" or "https"
                ? new HttpReplaySink(targetUri, Math.Max(1, result.GetValue(lanes)))
                : await RedisReplaySink.ConnectAsync(targetUri, result.GetValue(stream)!, result.GetValue(maxLength));
            AnsiConsole.MarkupLineInterpolated($"Replaying [bold]{events.Count:N0}[/] events to {sink.Describe()} at {(eventsPerSecond == 0 ? "full speed" : $"{eventsPerSecond:N0} events/s")}, batches of {batchSize}");

            var stampNow = result.GetValue(timestamps) == "now";
            if (!stampNow && dataset.Interactions.Any(x => x.Timestamp <= 0))
            {
                throw new CliUsageException("Some interactions have no timestamp (the service refuses times before 1970): pass --timestamps now.");
            }
            await using var publications = result.GetValue(items) is { } itemsPath
                ? new ReplayItems(ReplayItems.Load(itemsPath), targetUri.Scheme is "http" or "https"
                    ? new HttpItemPublisher(targetUri)
                    : await RedisItemPublisher.ConnectAsync(targetUri, result.GetValue(itemStream)!))
                : null;
            var summary = await RunAsync(events, sink, eventsPerSecond, batchSize, stampNow, publications, ct);
            TimeSpan? consumed = null;
            if (result.GetValue(wait) && sink is RedisReplaySink redis)
            {
                consumed = await redis.WaitForConsumersAsync(TimeSpan.FromMinutes(10), ct);
            }
            Print(summary, sink is HttpReplaySink, consumed);
            if (publications is not null)
            {
                AnsiConsole.MarkupLineInterpolated($"items published: {publications.Published:N0}, errors: {publications.Errors:N0}");
                if (publications.FirstProblem is { } itemProblem) AnsiConsole.MarkupLineInterpolated($"[red]first item error:[/] {itemProblem}");
            }
            return summary.Errors == 0 ? 0 : 1;
        }, cancellationToken));
        return command;
    }

    internal static Uri ParseTarget(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "redis" or "rediss") || uri.Host.Length == 0)
        {
            throw new CliUsageException($"--target '{text}' is neither http://host:port nor redis://host:port.");
        }
        return uri;
    }

    /// <summary>
    /// The data set's interactions, oldest first (ties in file order), as events with deterministic ids. Made as they
    /// are sent (<see cref="ReplayPlan"/>): millions of events are 4 bytes each until then, not a few hundred.
    /// </summary>
    internal static ReplayPlan Plan(RatingsDataset dataset, string type, int? limit)
    {
        var explicitRatings = type == "rating" || (type == "auto" && dataset.Interactions.Any(x => x.Rating != 1f));
        var interactions = dataset.Interactions;
        var order = new int[interactions.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        // Equal times keep file order.
        Array.Sort(order, (a, b) => interactions[a].Timestamp != interactions[b].Timestamp ? interactions[a].Timestamp.CompareTo(interactions[b].Timestamp) : a.CompareTo(b));
        if (limit is { } m && m < order.Length) order = order[..Math.Max(0, m)];
        return new ReplayPlan(dataset, order, explicitRatings);
    }

    /// <summary>A hash of user, item and time: the same interaction always gets the same id, so a replay is idempotent.</summary>
    internal static string EventId(string userId, string itemId, long timestamp)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{userId}\u001f{itemId}\u001f{timestamp}"), hash);
        return "replay-" + Convert.ToHexStringLower(hash[..12]);
    }

    internal sealed record ReplaySummary(long Sent, long Accepted, long Duplicates, long Errors, TimeSpan Elapsed, string? FirstProblem, double[] BatchMilliseconds);

    private static async Task<ReplaySummary> RunAsync(IReadOnlyList<ReplayEvent> events, IReplaySink sink, int rate, int batchSize, bool stampNow, ReplayItems? publications, CancellationToken cancellationToken)
    {
        long sent = 0, accepted = 0, duplicates = 0, errors = 0;
        string? firstProblem = null;
        var latencies = new List<double>();
        var watch = Stopwatch.StartNew();

        // One bounded queue per lane: a slow target slows the dispatcher down instead of queueing without limit.
        var queues = Enumerable.Range(0, sink.Lanes).Select(_ => Channel.CreateBounded<List<ReplayEvent>>(4)).ToArray();
        var senders = queues.Select(queue => Task.Run(async () =>
        {
            await foreach (var batch in queue.Reader.ReadAllAsync(cancellationToken))
            {
                var started = Stopwatch.GetTimestamp();
                var result = await sink.SendAsync(batch, cancellationToken);
                var milliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                lock (latencies) latencies.Add(milliseconds);
                Interlocked.Add(ref sent, batch.Count);
                Interlocked.Add(ref accepted, result.Accepted);
                Interlocked.Add(ref duplicates, result.Duplicates);
                Interlocked.Add(ref errors, result.Errors);
                if (result.Problem is not null) Interlocked.CompareExchange(ref firstProblem, result.Problem, null);
            }
        }, cancellationToken)).ToArray();

        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("replay", maxValue: events.Count);
                using var refresh = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
                var dispatcher = DispatchAsync(events, queues, rate, batchSize, stampNow, publications, watch, cancellationToken);
                while (!dispatcher.IsCompleted || senders.Any(s => !s.IsCompleted))
                {
                    await Task.WhenAny(Task.WhenAll(senders.Append(dispatcher)), refresh.WaitForNextTickAsync(cancellationToken).AsTask());
                    var done = Interlocked.Read(ref sent);
                    task.Value = done;
                    task.Description = $"replay {done:N0}/{events.Count:N0} · {done / Math.Max(watch.Elapsed.TotalSeconds, 1e-3):N0}/s · errors {Interlocked.Read(ref errors):N0}";
                }
                await dispatcher;
                await Task.WhenAll(senders);
                task.Value = events.Count;
            });
        watch.Stop();
        double[] sorted;
        lock (latencies) sorted = [.. latencies.Order()];
        return new ReplaySummary(sent, accepted, duplicates, errors, watch.Elapsed, firstProblem, sorted);
    }

    /// <summary>
    /// Cuts the timeline into batches, holds each back until its first event is due (event k is due at k / rate
    /// seconds), and hands each user's part of a batch to that user's lane.
    /// </summary>
    private static async Task DispatchAsync(IReadOnlyList<ReplayEvent> events, Channel<List<ReplayEvent>>[] queues, int rate, int batchSize, bool stampNow,
        ReplayItems? publications, Stopwatch watch, CancellationToken cancellationToken)
    {
        try
        {
            // A slice is split over the lanes, so each request still carries about batchSize events.
            var sliceSize = batchSize * queues.Length;
            for (var start = 0; start < events.Count; start += sliceSize)
            {
                if (rate > 0)
                {
                    var ahead = TimeSpan.FromSeconds((double)start / rate) - watch.Elapsed;
                    if (ahead > TimeSpan.FromMilliseconds(1)) await Task.Delay(ahead, cancellationToken);
                }
                // Items due by this slice's first interaction are published (and answered) before it is sent.
                if (publications is not null) await publications.PublishDueAsync(events[start].Timestamp, cancellationToken);
                var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
                var parts = new List<ReplayEvent>?[queues.Length];
                for (var i = start; i < Math.Min(start + sliceSize, events.Count); i++)
                {
                    var e = stampNow ? events[i] with { Timestamp = now } : events[i];
                    var lane = queues.Length == 1 ? 0 : (int)((uint)StringComparer.Ordinal.GetHashCode(e.UserId) % (uint)queues.Length);
                    var part = parts[lane] ??= [];
                    part.Add(e);
                    // A busy user can fill one lane's share of a slice: no request exceeds the batch size.
                    if (part.Count == batchSize)
                    {
                        await queues[lane].Writer.WriteAsync(part, cancellationToken);
                        parts[lane] = null;
                    }
                }
                for (var lane = 0; lane < queues.Length; lane++)
                {
                    if (parts[lane] is { } part) await queues[lane].Writer.WriteAsync(part, cancellationToken);
                }
            }
        }
        finally
        {
            if (publications is not null && !cancellationToken.IsCancellationRequested) await publications.PublishDueAsync(null, cancellationToken);
            foreach (var queue in queues) queue.Writer.TryComplete();
        }
    }

    private static void Print(ReplaySummary s, bool http, TimeSpan? consumed)
    {
        static string Percentile(double[] sorted, double p) => sorted.Length == 0 ? "—" : $"{sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)]:F1} ms";
        var table = new Table().Title("replay").Border(TableBorder.Rounded).AddColumn("").AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("sent", s.Sent.ToString("N0"));
        if (http)
        {
            table.AddRow("accepted", s.Accepted.ToString("N0"));
            table.AddRow("duplicates", s.Duplicates.ToString("N0"));
        }
        else
        {
            table.AddRow("added to the stream", s.Accepted.ToString("N0"));
            table.AddRow("duplicates", "decided by the consumers");
        }
        table.AddRow("errors", s.Errors.ToString("N0"));
        table.AddRow("elapsed", $"{s.Elapsed.TotalSeconds:F2} s");
        var achieved = s.Sent / Math.Max(s.Elapsed.TotalSeconds, 1e-3);
        table.AddRow("achieved rate", $"{achieved.ToString(achieved >= 100 ? "N0" : "N1")} events/s");
        table.AddRow(http ? "request p50 / p99" : "pipeline p50 / p99", $"{Percentile(s.BatchMilliseconds, 0.50)} / {Percentile(s.BatchMilliseconds, 0.99)}");
        if (consumed is { } c)
        {
            var total = s.Elapsed + c;
            table.AddRow("consumed after", $"{c.TotalSeconds:F2} s more ({s.Accepted / Math.Max(total.TotalSeconds, 1e-3):N0} events/s end to end)");
        }
        AnsiConsole.Write(table);
        if (s.FirstProblem is { } problem) AnsiConsole.MarkupLineInterpolated($"[red]first error:[/] {problem}");
    }
}

/// <summary>A replay's events in order, each made when it is read (its id hashed then), so a plan of millions stays small.</summary>
internal sealed class ReplayPlan(RatingsDataset dataset, int[] order, bool explicitRatings) : IReadOnlyList<ReplayEvent>
{
    public int Count => order.Length;

    public ReplayEvent this[int index]
    {
        get
        {
            var x = dataset.Interactions[order[index]];
            var userId = dataset.Users.GetExternalId(x.User);
            var itemId = dataset.Items.GetExternalId(x.Item);
            return new ReplayEvent(ReplayCommand.EventId(userId, itemId, x.Timestamp), userId, itemId,
                explicitRatings ? "rating" : "click", explicitRatings ? x.Rating : null, x.Timestamp);
        }
    }

    public IEnumerator<ReplayEvent> GetEnumerator()
    {
        for (var i = 0; i < order.Length; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
