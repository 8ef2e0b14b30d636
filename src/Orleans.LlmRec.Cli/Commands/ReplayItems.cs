using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using StackExchange.Redis;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>One line of a <c>replay --items</c> file: an item publication (or retirement) at a point of the click timeline.</summary>
/// <param name="At">Unix seconds: published when the replay reaches the first interaction at or after this time.</param>
/// <param name="Body">The <c>PUT /v1/items/{itemId}</c> body (the line without <c>itemId</c>, <c>op</c> and <c>at</c>); null for a delete.</param>
internal sealed record ReplayItem(string ItemId, bool Delete, long At, string? Body);

/// <summary>
/// Item publications interleaved with a replay's clicks (<c>llmrec replay --items FILE</c>): a JSON-lines file, one
/// object per line, <c>{"itemId":"…","publishedAt":"2024-05-01T10:00:00Z","title":"…","text":"…","tags":[…]}</c>
/// (or <c>"at"</c> in Unix seconds instead of <c>publishedAt</c>; <c>"op":"delete"</c> retires). Each is published
/// before the first interaction at or after its time, and answered before any later interaction is sent, so clicks on a
/// new item are never refused as unknown.
/// </summary>
internal sealed class ReplayItems(IReadOnlyList<ReplayItem> items, IItemPublisher publisher) : IAsyncDisposable
{
    private int _next;

    public int Published { get; private set; }
    public int Errors { get; private set; }
    public string? FirstProblem { get; private set; }

    public static List<ReplayItem> Load(string path)
    {
        var items = new List<ReplayItem>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                var itemId = root.GetProperty("itemId").GetString() ?? throw new FormatException("itemId is null");
                var delete = root.TryGetProperty("op", out var op) && op.GetString() == "delete";
                var at = root.TryGetProperty("at", out var seconds) ? seconds.GetInt64()
                    : root.TryGetProperty("publishedAt", out var published) ? published.GetDateTimeOffset().ToUnixTimeSeconds()
                    : throw new FormatException("needs publishedAt or at");
                string? body = null;
                if (!delete)
                {
                    var fields = root.EnumerateObject().Where(p => p.Name is not ("itemId" or "op" or "at")).ToDictionary(p => p.Name, p => p.Value.Clone());
                    body = JsonSerializer.Serialize(fields);
                }
                items.Add(new ReplayItem(itemId, delete, at, body));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
            {
                throw new CliUsageException($"--items {path}, line {lineNumber}: {e.Message}");
            }
        }
        // Stable: equal times keep file order.
        return [.. items.OrderBy(i => i.At)];
    }

    /// <summary>Publishes every item due at or before <paramref name="timestamp"/> (all that are left for null).</summary>
    public async Task PublishDueAsync(long? timestamp, CancellationToken cancellationToken)
    {
        while (_next < items.Count && (timestamp is null || items[_next].At <= timestamp))
        {
            var problem = await publisher.PublishAsync(items[_next++], cancellationToken);
            if (problem is null) Published++;
            else
            {
                Errors++;
                FirstProblem ??= problem;
            }
        }
    }

    public ValueTask DisposeAsync() => publisher.DisposeAsync();
}

internal interface IItemPublisher : IAsyncDisposable
{
    /// <summary>Publishes one item; returns the problem, or null.</summary>
    Task<string?> PublishAsync(ReplayItem item, CancellationToken cancellationToken);
}

/// <summary><c>PUT</c>/<c>DELETE /v1/items/{itemId}</c>, with the API key from <c>LLMREC_API_KEY</c> like the events.</summary>
internal sealed class HttpItemPublisher(Uri baseAddress) : IItemPublisher
{
    private readonly HttpClient _client = Keyed(new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) });

    private static HttpClient Keyed(HttpClient client)
    {
        if (Environment.GetEnvironmentVariable(HttpReplaySink.ApiKeyVariable) is { Length: > 0 } key) client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    public async Task<string?> PublishAsync(ReplayItem item, CancellationToken cancellationToken)
    {
        var path = $"/v1/items/{Uri.EscapeDataString(item.ItemId)}";
        using var response = item.Delete
            ? await _client.DeleteAsync(path, cancellationToken)
            : await _client.PutAsync(path, new StringContent(item.Body!, Encoding.UTF8, new MediaTypeHeaderValue("application/json")), cancellationToken);
        if (response.IsSuccessStatusCode || (item.Delete && response.StatusCode == HttpStatusCode.NotFound)) return null;
        return $"{(item.Delete ? "DELETE" : "PUT")} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Entries of the silos' item stream (<c>Catalogue:ItemStreamKey</c>): <c>op</c>, <c>itemId</c>, <c>json</c>. Each is
/// awaited until the stream's consumer groups delivered and acknowledged it (the silo appended it to the catalogue log
/// by then), so a click replayed right after finds the item: a silo catches up from the catalogue log, not from the
/// item stream, before it calls an item unknown.
/// </summary>
internal sealed class RedisItemPublisher(ConnectionMultiplexer connection, string stream) : IItemPublisher
{
    private static readonly TimeSpan AppliedWait = TimeSpan.FromSeconds(10);

    public async Task<string?> PublishAsync(ReplayItem item, CancellationToken cancellationToken)
    {
        NameValueEntry[] fields = item.Delete
            ? [new("op", "delete"), new("itemId", item.ItemId)]
            : [new("op", "put"), new("itemId", item.ItemId), new("json", item.Body)];
        try
        {
            var db = connection.GetDatabase();
            var id = StreamId(await db.StreamAddAsync(stream, fields).WaitAsync(cancellationToken));
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (waited.Elapsed < AppliedWait)
            {
                var groups = await db.StreamGroupInfoAsync(stream);
                if (groups.Length > 0 && groups.All(g => StreamId(g.LastDeliveredId).CompareTo(id) >= 0 && g.PendingMessageCount == 0)) return null;
                await Task.Delay(5, cancellationToken);
            }
            return $"XADD {stream} {item.ItemId}: not applied by a silo within {AppliedWait.TotalSeconds:N0} s (is Catalogue:ItemStreamEnabled on?)";
        }
        catch (RedisException e)
        {
            return $"XADD {stream} {item.ItemId}: {e.Message}";
        }
    }

    public async ValueTask DisposeAsync() => await connection.DisposeAsync();

    /// <summary>A stream entry id (<c>ms-seq</c>) in order: milliseconds, then sequence.</summary>
    private static (long Ms, long Seq) StreamId(RedisValue id)
    {
        var text = id.ToString();
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        return dash < 0 ? (0, 0) : (long.Parse(text.AsSpan(0, dash), CultureInfo.InvariantCulture), long.Parse(text.AsSpan(dash + 1), CultureInfo.InvariantCulture));
    }

    public static async Task<RedisItemPublisher> ConnectAsync(Uri target, string stream) =>
        new(await ConnectionMultiplexer.ConnectAsync(RedisReplaySink.RedisTarget(target)), stream);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"stream {stream}");
}
