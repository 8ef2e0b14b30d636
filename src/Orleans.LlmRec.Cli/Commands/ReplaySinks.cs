using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using StackExchange.Redis;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>One interaction as the service ingests it (the JSON shape of <c>POST /v1/events</c>, the fields of a stream entry).</summary>
internal sealed record ReplayEvent(string EventId, string UserId, string ItemId, string Type, float? Value, long Timestamp);

/// <summary>What sending one batch did. For a stream, "accepted" means added: the consumers decide on duplicates later.</summary>
internal readonly record struct SendResult(int Accepted, int Duplicates, int Errors, string? Problem);

/// <summary>Where replayed events go: the HTTP API or a Redis stream.</summary>
internal interface IReplaySink : IAsyncDisposable
{
    string Describe();

    /// <summary>Independent lanes; events of one user always take the same lane, so their order is kept.</summary>
    int Lanes { get; }

    Task<SendResult> SendAsync(IReadOnlyList<ReplayEvent> batch, CancellationToken cancellationToken);
}

/// <summary>
/// <c>POST /v1/events</c> in batches; 429, 503 and connection failures are retried (events are de-duplicated by id).
/// The API key, where the service asks for one, comes from <c>LLMREC_API_KEY</c> (not an option: it would show in ps).
/// </summary>
internal sealed class HttpReplaySink(Uri baseAddress, int lanes) : IReplaySink
{
    public const string ApiKeyVariable = "LLMREC_API_KEY";

    private const int MaxAttempts = 5;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _client = WithApiKey(new(new SocketsHttpHandler { MaxConnectionsPerServer = Math.Max(1, lanes) })
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromSeconds(30),
    });

    private static HttpClient WithApiKey(HttpClient client)
    {
        if (Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } key) client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private readonly bool _keyed = Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 };

    public int Lanes { get; } = Math.Max(1, lanes);

    public string Describe() => $"{new Uri(_client.BaseAddress!, "/v1/events")} ({Lanes} lane(s){(_keyed ? $", API key from {ApiKeyVariable}" : "")})";

    public async Task<SendResult> SendAsync(IReadOnlyList<ReplayEvent> batch, CancellationToken cancellationToken)
    {
        var body = batch.Select(e => new
        {
            eventId = e.EventId,
            userId = e.UserId,
            itemId = e.ItemId,
            type = e.Type,
            value = e.Value,
            timestamp = DateTimeOffset.FromUnixTimeSeconds(e.Timestamp),
        }).ToArray();
        string? problem = null;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            try
            {
                using var response = await _client.PostAsJsonAsync("/v1/events", body, Json, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    var answer = await response.Content.ReadFromJsonAsync<IngestAnswer>(Json, cancellationToken);
                    return new SendResult(answer?.Accepted ?? 0, answer?.Duplicates ?? 0, 0, null);
                }
                problem = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
                if (response.StatusCode is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests or HttpStatusCode.GatewayTimeout))
                {
                    // 400/413: the batch is refused whole, and sending it again would be refused again.
                    return new SendResult(0, 0, batch.Count, problem);
                }
            }
            catch (HttpRequestException e)
            {
                problem = e.Message;
            }
            catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                problem = $"timed out: {e.Message}";
            }
            await Task.Delay(TimeSpan.FromMilliseconds(100 * (1 << attempt)), cancellationToken);
        }
        return new SendResult(0, 0, batch.Count, problem);
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed record IngestAnswer(int Accepted, int Duplicates, int Users);
}

/// <summary>XADD per event, a batch pipelined on one connection (so stream order is replay order).</summary>
internal sealed class RedisReplaySink : IReplaySink
{
    private readonly ConnectionMultiplexer _connection;
    private readonly IDatabase _db;
    private readonly string _endpoint;
    private readonly RedisKey _stream;
    private readonly long? _maxLength;

    private RedisReplaySink(ConnectionMultiplexer connection, string endpoint, string stream, long? maxLength)
    {
        _connection = connection;
        _db = connection.GetDatabase();
        _endpoint = endpoint;
        _stream = stream;
        _maxLength = maxLength;
    }

    public int Lanes => 1;

    public static async Task<RedisReplaySink> ConnectAsync(Uri target, string stream, long? maxLength)
    {
        var configuration = RedisTarget(target);
        var connection = await ConnectionMultiplexer.ConnectAsync(configuration);
        return new RedisReplaySink(connection, $"{target.Host}:{PortOf(target)}", stream, maxLength);
    }

    /// <summary><c>redis://[:password@]host[:port]</c>, or <c>rediss://</c> for TLS.</summary>
    public static ConfigurationOptions RedisTarget(Uri target)
    {
        var configuration = new ConfigurationOptions { AbortOnConnectFail = true, ConnectTimeout = 5_000 };
        configuration.EndPoints.Add(target.Host, PortOf(target));
        if (target.UserInfo is { Length: > 0 } userInfo)
        {
            var separator = userInfo.IndexOf(':', StringComparison.Ordinal);
            var user = separator < 0 ? "" : Uri.UnescapeDataString(userInfo[..separator]);
            configuration.Password = Uri.UnescapeDataString(separator < 0 ? userInfo : userInfo[(separator + 1)..]);
            if (user.Length > 0) configuration.User = user;
        }
        configuration.Ssl = target.Scheme == "rediss";
        return configuration;
    }

    private static int PortOf(Uri target) => target.IsDefaultPort || target.Port < 0 ? 6379 : target.Port;

    public string Describe() => $"redis://{_endpoint} stream {_stream}";

    public async Task<SendResult> SendAsync(IReadOnlyList<ReplayEvent> batch, CancellationToken cancellationToken)
    {
        var adds = new Task<RedisValue>[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var e = batch[i];
            NameValueEntry[] fields = e.Value is { } value
                ?
                [
                    new("eventId", e.EventId), new("userId", e.UserId), new("itemId", e.ItemId), new("type", e.Type),
                    new("value", value.ToString(CultureInfo.InvariantCulture)), new("timestamp", e.Timestamp),
                ]
                : [new("eventId", e.EventId), new("userId", e.UserId), new("itemId", e.ItemId), new("type", e.Type), new("timestamp", e.Timestamp)];
            adds[i] = _db.StreamAddAsync(_stream, fields, maxLength: _maxLength, useApproximateMaxLength: true);
        }
        try
        {
            await Task.WhenAll(adds).WaitAsync(cancellationToken);
            return new SendResult(batch.Count, 0, 0, null);
        }
        catch (RedisException e)
        {
            var added = adds.Count(a => a.IsCompletedSuccessfully);
            return new SendResult(added, 0, batch.Count - added, e.Message);
        }
    }

    /// <summary>
    /// Waits until every consumer group of the stream has read and acknowledged everything (lag and pending 0),
    /// so the consumers' throughput can be reported; null when the stream has no group or time runs out.
    /// </summary>
    public async Task<TimeSpan?> WaitForConsumersAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            var groups = await _db.StreamGroupInfoAsync(_stream);
            if (groups.Length == 0) return null;
            if (groups.All(g => g.Lag == 0 && g.PendingMessageCount == 0)) return watch.Elapsed;
            await Task.Delay(20, cancellationToken);
        }
        return null;
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
}
