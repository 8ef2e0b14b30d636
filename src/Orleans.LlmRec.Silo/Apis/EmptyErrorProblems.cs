using Microsoft.AspNetCore.WebUtilities;

namespace Orleans.LlmRec.Silo.Apis;

/// <summary>
/// A 4xx or 5xx answered without a body (a route or method not found, a bare status result) gets a ProblemDetails body,
/// as <c>UseStatusCodePages</c> gives with the problem-details service registered. In its place because it costs a
/// successful request nothing: the framework's middleware allocates a feature and the request's item dictionary on
/// every request (~350 B of a cached feed's ~1.2 KB) so that an endpoint could turn it off, which none of ours does.
/// </summary>
public static class EmptyErrorProblems
{
    public static IApplicationBuilder UseEmptyErrorProblems(this IApplicationBuilder app)
    {
        var problems = app.ApplicationServices.GetRequiredService<IProblemDetailsService>();
        return app.Use((context, next) =>
        {
            var rest = next(context);
            return rest.IsCompletedSuccessfully ? WriteIfEmptyAsync(problems, context) : AfterAsync(rest, problems, context);
        });
    }

    private static async Task AfterAsync(Task rest, IProblemDetailsService problems, HttpContext context)
    {
        await rest;
        await WriteIfEmptyAsync(problems, context);
    }

    /// <summary>The status pages' own test: an error status, nothing sent yet, and no body or content type set.</summary>
    public static bool NeedsBody(HttpResponse response) =>
        response.StatusCode is >= 400 and < 600 && !response.HasStarted && response.ContentLength is null && string.IsNullOrEmpty(response.ContentType);

    private static Task WriteIfEmptyAsync(IProblemDetailsService problems, HttpContext context) =>
        NeedsBody(context.Response) ? WriteAsync(problems, context) : Task.CompletedTask;

    private static async Task WriteAsync(IProblemDetailsService problems, HttpContext context)
    {
        var status = context.Response.StatusCode;
        if (await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = { Status = status } })) return;
        // As the status pages do for a client that accepts no JSON: the status as plain text.
        context.Response.ContentType = "text/plain";
        var reason = ReasonPhrases.GetReasonPhrase(status);
        await context.Response.WriteAsync(string.IsNullOrEmpty(reason) ? $"Status Code: {status}" : $"Status Code: {status}; {reason}");
    }
}
