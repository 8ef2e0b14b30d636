using System.ClientModel;
using System.Text.Json;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Orleans.LlmRec.Llm;

/// <summary>
/// Why an LLM call failed: the <c>Error</c> of failed results and the <c>reason</c> tag of <c>llmrec.llm.errors</c>.
/// </summary>
public static class LlmFailure
{
    public const string CircuitOpen = "circuit_open";
    public const string Timeout = "timeout";
    public const string RateLimited = "rate_limited";
    public const string ServerError = "server_error";
    public const string HttpError = "http_error";
    public const string Network = "network";
    public const string Malformed = "malformed";
    public const string Empty = "empty";
    public const string Invalid = "invalid";
    public const string Other = "other";

    /// <summary>
    /// The HTTP stack wraps exceptions at several layers (Polly inside HttpClient inside System.ClientModel), so the
    /// whole chain is searched for the most telling cause.
    /// </summary>
    internal static string Classify(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case BrokenCircuitException:
                    return CircuitOpen;
                case TimeoutRejectedException:
                    return Timeout;
                case ClientResultException { Status: 429 }:
                    return RateLimited;
                case ClientResultException { Status: >= 500 }:
                    return ServerError;
                case ClientResultException { Status: > 0 }:
                    return HttpError;
                case JsonException:
                    return Malformed;
            }
        }
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case OperationCanceledException:
                    return Timeout;
                case HttpRequestException or IOException:
                    return Network;
            }
        }
        return Other;
    }
}
