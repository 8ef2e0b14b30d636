using System.Text.Json;

namespace Orleans.LlmRec.Testing.OpenAiStub;

/// <summary>One scripted answer of <see cref="ScriptedOpenAiServer"/>: a chat completion, an HTTP error, or a raw body.</summary>
public sealed record ScriptedReply
{
    private ScriptedReply()
    {
    }

    /// <summary>200 with a chat completion whose message content is <see cref="Content"/>; null for error replies.</summary>
    public string? Content { get; private init; }

    public int StatusCode { get; private init; } = 200;

    /// <summary>Sent as the <c>Retry-After</c> header (whole seconds) when set.</summary>
    public TimeSpan? RetryAfter { get; private init; }

    /// <summary>When set, the response body verbatim (e.g. not JSON at all) instead of a completion or error object.</summary>
    public string? RawBody { get; private init; }

    /// <summary>How long the server waits before answering (it gives up early if the client disconnects).</summary>
    public TimeSpan Delay { get; private init; }

    /// <summary>Token counts reported in <c>usage</c>; when null, about one token per four characters.</summary>
    public int? PromptTokens { get; private init; }

    public int? CompletionTokens { get; private init; }

    /// <summary>The model name the completion reports; when null, the model the request named.</summary>
    public string? Model { get; private init; }

    public static ScriptedReply Text(string content, int? promptTokens = null, int? completionTokens = null) =>
        new() { Content = content, PromptTokens = promptTokens, CompletionTokens = completionTokens };

    /// <summary>A completion whose content is <paramref name="value"/> serialised as JSON (camelCase as written).</summary>
    public static ScriptedReply Json(object value, int? promptTokens = null, int? completionTokens = null) =>
        Text(JsonSerializer.Serialize(value), promptTokens, completionTokens);

    public static ScriptedReply Status(int statusCode, TimeSpan? retryAfter = null) =>
        new() { StatusCode = statusCode, RetryAfter = retryAfter };

    public static ScriptedReply TooManyRequests(TimeSpan retryAfter) => Status(429, retryAfter);

    public static ScriptedReply ServerError() => Status(500);

    public static ScriptedReply Raw(int statusCode, string body) => new() { StatusCode = statusCode, RawBody = body };

    public ScriptedReply After(TimeSpan delay) => this with { Delay = delay };

    public ScriptedReply WithModel(string model) => this with { Model = model };
}
