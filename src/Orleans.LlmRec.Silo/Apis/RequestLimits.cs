using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Orleans.LlmRec.Silo.Apis;

/// <summary>
/// The size limits of a request's line and headers, answered with problem+json. Kestrel checks these limits while it
/// parses, before any middleware runs, and answers 414 / 431 itself with an empty body; no hook changes that answer
/// (nor Kestrel's 400 for a malformed request line or header, or its 408 when headers arrive too slowly). So Kestrel's
/// own limits are raised to a ceiling (<see cref="RaiseKestrelLimits"/>), and the service's limits, Kestrel's defaults,
/// are checked here, first in the pipeline: a request between the two gets a problem+json that names the query
/// parameter or header that made it too large. Only a request past the ceiling, or one Kestrel cannot parse, still gets
/// Kestrel's bare answer.
/// </summary>
public static class RequestLimits
{
    /// <summary>Longest request line (method, target, version): Kestrel's default <c>MaxRequestLineSize</c>.</summary>
    public const int MaxRequestLineBytes = 8 * 1024;

    /// <summary>Largest header section: Kestrel's default <c>MaxRequestHeadersTotalSize</c>.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>Most header lines: Kestrel's default <c>MaxRequestHeaderCount</c>.</summary>
    public const int MaxHeaderCount = 100;

    /// <summary>Where Kestrel itself refuses (bare 414 / 431): a few times the service's limits, so memory per connection stays bounded.</summary>
    public const int KestrelRequestLineBytes = 4 * MaxRequestLineBytes;
    public const int KestrelHeaderBytes = 2 * MaxHeaderBytes;
    public const int KestrelHeaderCount = 2 * MaxHeaderCount;

    public static void RaiseKestrelLimits(KestrelServerOptions kestrel)
    {
        kestrel.Limits.MaxRequestLineSize = KestrelRequestLineBytes;
        kestrel.Limits.MaxRequestHeadersTotalSize = KestrelHeaderBytes;
        kestrel.Limits.MaxRequestHeaderCount = KestrelHeaderCount;
    }

    /// <summary>First in the pipeline: refuses a request over the service's limits with a 414 or 431 problem.</summary>
    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app) => app.Use(static (context, next) =>
    {
        var request = context.Request;
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? $"{request.PathBase}{request.Path}{request.QueryString}";
        // "GET /target HTTP/1.1\r\n", as Kestrel counts it.
        var lineBytes = request.Method.Length + target.Length + request.Protocol.Length + 4;
        if (lineBytes > MaxRequestLineBytes)
        {
            return RefuseAsync(context, StatusCodes.Status414UriTooLong, "URI too long",
                $"The request line is {lineBytes} bytes; at most {MaxRequestLineBytes} are accepted.", LongestPartOfTarget(request));
        }
        var (headerBytes, headerCount, largest) = MeasureHeaders(request.Headers);
        if (headerBytes > MaxHeaderBytes || headerCount > MaxHeaderCount)
        {
            var detail = headerCount > MaxHeaderCount
                ? $"The request has {headerCount} header lines; at most {MaxHeaderCount} are accepted."
                : $"The request headers are {headerBytes} bytes; at most {MaxHeaderBytes} are accepted.";
            return RefuseAsync(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, "Request header fields too large", detail,
                ($"headers.{largest.Name}", $"is {largest.Bytes} bytes, the largest header of the request"));
        }
        return next(context);
    });

    private static (int Bytes, int Count, (string Name, int Bytes) Largest) MeasureHeaders(IHeaderDictionary headers)
    {
        int bytes = 0, count = 0;
        (string Name, int Bytes) largest = ("", 0);
        foreach (var (name, values) in headers)
        {
            var size = 0;
            foreach (var value in values)
            {
                // "Name: value\r\n"
                size += name.Length + (value?.Length ?? 0) + 4;
                count++;
            }
            bytes += size;
            if (size > largest.Bytes) largest = (name, size);
        }
        return (bytes, count, largest);
    }

    /// <summary>The query parameter (by its API name) or the path that makes the target long, and its length.</summary>
    private static (string Field, string Message) LongestPartOfTarget(HttpRequest request)
    {
        var (field, length) = ("path", request.Path.Value?.Length ?? 0);
        foreach (var (name, values) in request.Query)
        {
            var size = values.Sum(v => v?.Length ?? 0);
            if (size > length) (field, length) = (name, size);
        }
        return (field, $"is {length} characters long, the longest part of the URL");
    }

    private static Task RefuseAsync(HttpContext context, int status, string title, string detail, (string Field, string Message) error)
    {
        context.Response.StatusCode = status;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [error.Field] = [error.Message] })
            {
                Status = status,
                Title = title,
                Detail = detail,
            },
        }).AsTask();
    }
}
