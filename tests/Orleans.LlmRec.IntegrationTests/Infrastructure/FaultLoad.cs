using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using StackExchange.Redis;
using StreamEntryFields = Orleans.LlmRec.Silo.Ingestion.StreamEntryParser;

namespace Orleans.LlmRec.IntegrationTests.Infrastructure;

/// <summary>
/// The load the fault tests hold while they break something: clicks for <see cref="Users"/> users, each with its own
/// items (so a user's history shows every event once: a lost one is missing, one applied twice shows twice), sent over
/// HTTP in batches that span several users and added to the Redis stream, both paced over <c>duration</c>, plus feed
/// reads. A batch answered 503 (or not answered) is sent again until it gets 200, as a client following the README
/// does; an XADD that fails is repeated. So every event is acknowledged in the end, and each must be applied once.
/// </summary>
public sealed class FaultLoad(IReadOnlyList<string> users, IReadOnlyList<string> items, int httpPerUser, int streamPerUser, TimeSpan duration)
{
    private const int UsersPerBatch = 5;
    private const int EventsPerUserPerBatch = 2;
    private const int StreamChunk = 50;
    private const int HttpWriters = 4;
    private const int FeedReaders = 2;
    private const int StreamItemOffset = 100;

    public sealed record Request(string Target, string Kind, TimeSpan StartedAt, TimeSpan EndedAt, int? Status, string? Error, int? RetryAfter = null)
    {
        public TimeSpan Duration => EndedAt - StartedAt;
    }

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private SiloProcess[] _targets = [];
    private int _acknowledged;
    private int _streamFailures;

    public IReadOnlyList<string> Users => users;
    public int TotalEvents => users.Count * (httpPerUser + streamPerUser);
    public int EventsPerUser => httpPerUser + streamPerUser;
    public int HttpEvents => users.Count * httpPerUser;
    public int StreamEvents => users.Count * streamPerUser;
    public int Acknowledged => Volatile.Read(ref _acknowledged);
    public int StreamAddFailures => Volatile.Read(ref _streamFailures);
    public TimeSpan Now => _clock.Elapsed;
    public ConcurrentQueue<Request> Requests { get; } = new();

    /// <summary>The items a user's events name, one per event: what their history must show, each once.</summary>
    public IEnumerable<string> ItemsOf(int user) =>
        Enumerable.Range(0, httpPerUser).Select(n => items[n]).Concat(Enumerable.Range(0, streamPerUser).Select(n => items[StreamItemOffset + n]));

    /// <summary>Where HTTP requests go from now on (the silos a load balancer still sends to).</summary>
    public void Target(params SiloProcess[] silos) => Volatile.Write(ref _targets, silos);

    public async Task RunAsync(IDatabase stream, string streamKey)
    {
        var batches = new ConcurrentQueue<(int Index, object[] Events)>(HttpBatches().Select((b, i) => (i, b)));
        var batchCount = batches.Count;
        var start = Now;
        using var writing = new CancellationTokenSource();
        var writers = Enumerable.Range(0, HttpWriters).Select(_ => Task.Run(async () =>
        {
            while (batches.TryDequeue(out var batch))
            {
                await PaceAsync(start, batch.Index, batchCount);
                await SendUntilAcceptedAsync(batch.Events);
            }
        })).ToList();
        writers.Add(Task.Run(() => AddToStreamAsync(stream, streamKey, start)));
        var readers = Enumerable.Range(0, FeedReaders).Select(r => Task.Run(() => ReadFeedsAsync(r, writing.Token))).ToList();
        await Task.WhenAll(writers);
        await writing.CancelAsync();
        await Task.WhenAll(readers);
    }

    private IEnumerable<object[]> HttpBatches()
    {
        var timestamp = DateTimeOffset.UtcNow.AddMinutes(-1);
        for (var n = 0; n < httpPerUser; n += EventsPerUserPerBatch)
        {
            for (var u = 0; u < users.Count; u += UsersPerBatch)
            {
                yield return [.. Enumerable.Range(u, Math.Min(UsersPerBatch, users.Count - u))
                    .SelectMany(user => Enumerable.Range(n, Math.Min(EventsPerUserPerBatch, httpPerUser - n))
                        .Select(e => ServiceFixture.Event($"{users[user]}-h{e}", users[user], items[e], timestamp: timestamp)))];
            }
        }
    }

    private Task PaceAsync(TimeSpan start, int index, int count)
    {
        var due = start + duration * index / count;
        var wait = due - Now;
        return wait > TimeSpan.Zero ? Task.Delay(wait) : Task.CompletedTask;
    }

    private async Task SendUntilAcceptedAsync(object[] batch)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            var targets = Volatile.Read(ref _targets);
            var target = targets[Random.Shared.Next(targets.Length)];
            var started = Now;
            try
            {
                using var response = await target.Client.PostAsJsonAsync("/v1/events", batch, ServiceFixture.Json);
                var status = (int)response.StatusCode;
                Requests.Enqueue(new Request(target.Name, "events", started, Now, status, status == 200 ? null : await response.Content.ReadAsStringAsync(), RetryAfter(response)));
                if (status == 200)
                {
                    Interlocked.Add(ref _acknowledged, batch.Length);
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Requests.Enqueue(new Request(target.Name, "events", started, Now, null, $"{e.GetType().Name}: {e.Message}"));
            }
            await Task.Delay(200);
        }
    }

    private static int? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter?.Delta is { } delta ? (int)delta.TotalSeconds : null;

    private async Task AddToStreamAsync(IDatabase db, string key, TimeSpan start)
    {
        var timestamp = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var entries = Enumerable.Range(0, streamPerUser)
            .SelectMany(n => users.Select(user => new NameValueEntry[]
            {
                new(StreamEntryFields.EventIdField, $"{user}-s{n}"),
                new(StreamEntryFields.UserIdField, user),
                new(StreamEntryFields.ItemIdField, items[StreamItemOffset + n]),
                new(StreamEntryFields.TypeField, "click"),
                new(StreamEntryFields.TimestampField, timestamp),
            }))
            .Chunk(StreamChunk)
            .ToList();
        for (var c = 0; c < entries.Count; c++)
        {
            await PaceAsync(start, c, entries.Count);
            var left = entries[c].ToList();
            while (left.Count > 0)
            {
                var adds = left.Select(e => (Entry: e, Add: db.StreamAddAsync(key, e))).ToList();
                try
                {
                    await Task.WhenAll(adds.Select(a => a.Add));
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    Interlocked.Increment(ref _streamFailures);
                }
                var added = adds.Count(a => a.Add.IsCompletedSuccessfully);
                Interlocked.Add(ref _acknowledged, added);
                // Repeated with the same event id: an XADD whose answer was lost may have been applied, and the grain
                // recognises the event the second time.
                left = [.. adds.Where(a => !a.Add.IsCompletedSuccessfully).Select(a => a.Entry)];
                if (left.Count > 0) await Task.Delay(100);
            }
        }
    }

    private async Task ReadFeedsAsync(int reader, CancellationToken stop)
    {
        var random = new Random(reader);
        while (!stop.IsCancellationRequested)
        {
            var targets = Volatile.Read(ref _targets);
            var target = targets[random.Next(targets.Length)];
            var user = users[random.Next(users.Count)];
            var started = Now;
            try
            {
                using var response = await target.Client.GetAsync($"/v1/users/{user}/feed?k=10", CancellationToken.None);
                var status = (int)response.StatusCode;
                Requests.Enqueue(new Request(target.Name, "feed", started, Now, status, status == 200 ? null : await response.Content.ReadAsStringAsync(CancellationToken.None), RetryAfter(response)));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                Requests.Enqueue(new Request(target.Name, "feed", started, Now, null, $"{e.GetType().Name}: {e.Message}"));
            }
            await Task.Delay(20, CancellationToken.None);
        }
    }
}
