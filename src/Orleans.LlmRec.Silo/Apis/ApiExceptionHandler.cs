using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Silo.Cluster;
using Orleans.LlmRec.Silo.Configuration;

namespace Orleans.LlmRec.Silo.Apis;

/// <summary>
/// Turns exceptions into ProblemDetails: binding failures are the caller's (400/413, naming the parameter); an outage
/// (<see cref="Outages"/>: storage or cluster unavailable, no answer within the request's budget) is 503 with
/// <c>Retry-After</c>, safe to retry; anything else is ours (500, no internals leaked). A batch of events that was
/// applied for some users only says which (<see cref="EventsNotAppliedException"/>). Outages are logged as one line per
/// kind and window (<see cref="FailureLogThrottle"/>), without stack traces; anything else with its stack trace.
/// </summary>
public sealed partial class ApiExceptionHandler(
    IProblemDetailsService problems, IOptions<AvailabilityOptions> availability, FailureLogThrottle throttle, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
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
        var outage = Outages.Classify(exception);
        var (status, title, detail) = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } => (StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the body as application/json."),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } e => (StatusCodes.Status413PayloadTooLarge, "Payload too large", e.Message),
            BadHttpRequestException e => (e.StatusCode, "Bad request", e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message),
            EventsNotAppliedException partly => (outage is null ? StatusCodes.Status500InternalServerError : StatusCodes.Status503ServiceUnavailable,
                outage is null ? "Internal error" : Title(outage.Value),
                $"The events of {partly.AppliedUsers.Count} of the batch's {partly.AppliedUsers.Count + partly.UnconfirmedUsers.Count} users were applied " +
                "(appliedUsers); those of the others (unconfirmedUsers) were not, or not confirmed. Each user's events apply together or not at all. " +
                "Resending the whole batch is safe: events already applied are recognised by id and not applied twice."),
            _ when outage is { } kind => (StatusCodes.Status503ServiceUnavailable, Title(kind), Detail(kind)),
            _ => (StatusCodes.Status500InternalServerError, "Internal error", "An unexpected error occurred; it has been logged."),
        };
        if (status >= 500) Log(httpContext, exception, outage);
        httpContext.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(availability.Value.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail };
        if (outage is { } what) problem.Extensions["outage"] = what.ToString().ToLowerInvariant();
        if (exception is EventsNotAppliedException applied)
        {
            problem.Extensions["appliedUsers"] = applied.AppliedUsers;
            problem.Extensions["unconfirmedUsers"] = applied.UnconfirmedUsers;
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = problem,
        });
    }

    private static string Title(OutageKind kind) => kind switch
    {
        OutageKind.Storage => "Storage unavailable",
        OutageKind.Cluster => "Service unavailable",
        _ => "Timed out",
    };

    private static string Detail(OutageKind kind) => kind switch
    {
        OutageKind.Storage => "User state could not be read or stored; a write was not applied, or not confirmed. Retrying is safe: events are de-duplicated by id.",
        OutageKind.Cluster => "The service is starting, stopping or rebalancing; retry shortly. Retrying is safe: events are de-duplicated by id.",
        _ => "The service did not answer in time; the request may or may not have been applied. Retrying is safe: events are de-duplicated by id.",
    };

    /// <summary>An outage: one line per route and cause per window, no stack trace. Anything else: in full, every time.</summary>
    private void Log(HttpContext httpContext, Exception exception, OutageKind? outage)
    {
        var route = httpContext.GetEndpoint() is RouteEndpoint endpoint ? endpoint.RoutePattern.RawText ?? "" : httpContext.Request.Path.ToString();
        if (outage is not { } kind)
        {
            LogFailure(logger, exception, httpContext.Request.Method, route);
            return;
        }
        var cause = Outages.RootCause(exception);
        if (throttle.ShouldLog($"{httpContext.Request.Method} {route} {kind} {cause}", out var leftOut))
        {
            LogOutage(logger, httpContext.Request.Method, route, kind, cause, leftOut, availability.Value.FailureLogWindow.TotalSeconds);
        }
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

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Route} failed")]
    private static partial void LogFailure(ILogger logger, Exception exception, string method, string route);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Route} answered 503: {Outage} unavailable ({Cause}); {LeftOut} more since the last such line; the next within {WindowSeconds} s are counted, not logged")]
    private static partial void LogOutage(ILogger logger, string method, string route, OutageKind outage, string cause, int leftOut, double windowSeconds);
}
