using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Orleans.LlmRec.Testing.OpenAiStub;

/// <summary>
/// An OpenAI-compatible server for tests: <c>POST /v1/chat/completions</c> on 127.0.0.1 and a free port, answering
/// from a script (a queue of replies, each fixed or computed from the request, then <see cref="Fallback"/>), with
/// delays, 429s with Retry-After, 5xx, malformed content or bodies. Every request is recorded for assertions.
/// Streaming is refused (400): the LLM layer never streams.
/// </summary>
public sealed class ScriptedOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly Queue<Func<RecordedRequest, ScriptedReply>> _script = new();
    private readonly List<RecordedRequest> _requests = [];

    private ScriptedOpenAiServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    /// <summary>The API base including <c>/v1</c>, e.g. <c>http://127.0.0.1:43125/v1</c>: what an OpenAI client's endpoint is set to.</summary>
    public Uri BaseAddress { get; }

    /// <summary>Answers requests once the script is used up; by default a 500 saying so.</summary>
    public Func<RecordedRequest, ScriptedReply>? Fallback { get; set; }

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    public int RequestCount
    {
        get
        {
            lock (_gate)
            {
                return _requests.Count;
            }
        }
    }

    /// <summary>Scripted replies still unused.</summary>
    public int PendingReplies
    {
        get
        {
            lock (_gate)
            {
                return _script.Count;
            }
        }
    }

    public static async Task<ScriptedOpenAiServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        ScriptedOpenAiServer? server = null;
        app.MapPost("/v1/chat/completions", (HttpContext context) => server!.HandleAsync(context));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        server = new ScriptedOpenAiServer(app, new Uri(address.TrimEnd('/') + "/v1"));
        return server;
    }

    public void Enqueue(params ScriptedReply[] replies)
    {
        lock (_gate)
        {
            foreach (var reply in replies)
            {
                _script.Enqueue(_ => reply);
            }
        }
    }

    /// <summary>Queues a reply computed from the request it answers.</summary>
    public void Enqueue(Func<RecordedRequest, ScriptedReply> reply)
    {
        lock (_gate)
        {
            _script.Enqueue(reply);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context)
    {
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            body = null;
        }
        if (body is not JsonObject request)
        {
            await WriteErrorAsync(context, 400, "The request body is not a JSON object.").ConfigureAwait(false);
            return;
        }
        if (request["stream"]?.GetValue<bool>() == true)
        {
            await WriteErrorAsync(context, 400, "This scripted server does not stream.").ConfigureAwait(false);
            return;
        }

        RecordedRequest recorded;
        Func<RecordedRequest, ScriptedReply>? next;
        lock (_gate)
        {
            recorded = Record(request, _requests.Count + 1, context.Request.Headers.Authorization.ToString());
            _requests.Add(recorded);
            next = _script.TryDequeue(out var scripted) ? scripted : Fallback;
        }
        var reply = next?.Invoke(recorded) ?? ScriptedReply.Status(500);

        if (reply.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(reply.Delay, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (reply.RawBody is not null)
        {
            context.Response.StatusCode = reply.StatusCode;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(reply.RawBody, context.RequestAborted).ConfigureAwait(false);
            return;
        }
        if (reply.RetryAfter is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        if (reply.Content is null)
        {
            await WriteErrorAsync(context, reply.StatusCode, next is null ? "No scripted reply left." : "Scripted error.").ConfigureAwait(false);
            return;
        }
        await WriteCompletionAsync(context, recorded, reply).ConfigureAwait(false);
    }

    private static RecordedRequest Record(JsonObject request, int sequence, string authorization)
    {
        var messages = new List<RecordedMessage>();
        if (request["messages"] is JsonArray array)
        {
            foreach (var message in array.OfType<JsonObject>())
            {
                messages.Add(new RecordedMessage(message["role"]?.GetValue<string>() ?? "", ContentText(message["content"])));
            }
        }
        return new RecordedRequest(
            sequence,
            request["model"]?.GetValue<string>() ?? "",
            messages,
            request["temperature"] is JsonValue temperature ? temperature.GetValue<double>() : null,
            (request["max_completion_tokens"] ?? request["max_tokens"]) is JsonValue maxTokens ? maxTokens.GetValue<int>() : null,
            request["response_format"]?.DeepClone(),
            string.IsNullOrEmpty(authorization) ? null : authorization,
            request.DeepClone());
    }

    // Content is a string, or an array of parts of which the text ones count.
    private static string ContentText(JsonNode? content) => content switch
    {
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonArray parts => string.Concat(parts.OfType<JsonObject>().Select(p => p["text"]?.GetValue<string>() ?? "")),
        _ => "",
    };

    private static Task WriteCompletionAsync(HttpContext context, RecordedRequest request, ScriptedReply reply)
    {
        var promptTokens = reply.PromptTokens ?? Math.Max(1, request.Messages.Sum(m => m.Content.Length) / 4);
        var completionTokens = reply.CompletionTokens ?? Math.Max(1, reply.Content!.Length / 4);
        var completion = new JsonObject
        {
            ["id"] = $"chatcmpl-stub-{request.Sequence}",
            ["object"] = "chat.completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = reply.Model ?? request.Model,
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = reply.Content, ["refusal"] = null },
                ["logprobs"] = null,
                ["finish_reason"] = "stop",
            }),
            ["usage"] = new JsonObject
            {
                ["prompt_tokens"] = promptTokens,
                ["completion_tokens"] = completionTokens,
                ["total_tokens"] = promptTokens + completionTokens,
            },
        };
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(completion.ToJsonString(), context.RequestAborted);
    }

    private static Task WriteErrorAsync(HttpContext context, int statusCode, string message)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        var error = new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["message"] = message,
                ["type"] = statusCode == 429 ? "rate_limit_exceeded" : statusCode >= 500 ? "server_error" : "invalid_request_error",
                ["code"] = statusCode.ToString(CultureInfo.InvariantCulture),
            },
        };
        return context.Response.WriteAsync(error.ToJsonString(), context.RequestAborted);
    }
}
