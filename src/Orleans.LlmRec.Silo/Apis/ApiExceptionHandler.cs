using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Orleans.Persistence.Redis;
using Orleans.Storage;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Apis;

/// <summary>
/// Turns exceptions into ProblemDetails: binding failures are the caller's (400/413, naming the parameter), timeouts
/// and unavailable silos are transient (503, safe to retry), anything else is ours (500, no internals leaked).
/// </summary>
public sealed partial class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>nginx's "client closed request": nobody reads the answer, so nothing is logged as our failure.</summary>
    public const int ClientClosedRequest = 499;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            httpContext.Response.StatusCode = ClientClosedRequest;
            return true;
        }
        if (exception is BadHttpRequestException binding && BindingProblems.Describe(binding) is { } errors)
        {
            httpContext.Response.StatusCode = StatusCodes.Status400BadRequest;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = httpContext,
                Exception = exception,
                ProblemDetails = new HttpValidationProblemDetails(errors) { Status = StatusCodes.Status400BadRequest, Title = "The request is invalid." },
            });
        }
        var (status, title, detail) = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } => (StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the body as application/json."),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } e => (StatusCodes.Status413PayloadTooLarge, "Payload too large", e.Message),
            BadHttpRequestException e => (e.StatusCode, "Bad request", e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message),
            TimeoutException => (StatusCodes.Status503ServiceUnavailable, "Timed out",
                "The service did not answer in time; the request may or may not have been applied. Retrying is safe: events are de-duplicated by id."),
            // The last two reach an API tier (Silo:Role=ApiTier) when no gateway answers or the gateway sheds load.
            _ when Cluster.ClusterFailures.IsUnavailable(exception) => (StatusCodes.Status503ServiceUnavailable, "Service unavailable",
                "The service is starting, stopping or rebalancing; retry shortly."),
            InconsistentStateException or RedisException or RedisStorageException => (StatusCodes.Status503ServiceUnavailable, "Storage unavailable",
                "User state could not be stored; nothing of this request for the affected user was kept. Retrying is safe."),
            _ => (StatusCodes.Status500InternalServerError, "Internal error", "An unexpected error occurred; it has been logged."),
        };
        if (status >= 500)
        {
            LogFailure(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }
        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    /// <summary>
    /// Problems the framework writes on its own (status-code pages), e.g. a 413 when a body is larger than the
    /// endpoint's limit before any of our code runs: give them a detail that says what to do.
    /// </summary>
    public static void ExplainBareStatus(ProblemDetailsContext context)
    {
        if (context.ProblemDetails.Detail is not null) return;
        context.ProblemDetails.Detail = context.ProblemDetails.Status switch
        {
            StatusCodes.Status413PayloadTooLarge => context.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize is { } limit
                ? $"The request body is larger than the {limit} bytes this endpoint accepts."
                : "The request body is larger than this endpoint accepts.",
            StatusCodes.Status415UnsupportedMediaType => "Send the body as application/json.",
            _ => null,
        };
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogFailure(ILogger logger, Exception exception, string method, string path);
}
