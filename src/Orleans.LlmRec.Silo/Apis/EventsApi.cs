using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Silo.Metrics;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.Silo.Apis;

public static partial class EventsApi
{
    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/events", PostEventsAsync)
            .WithName("PostEvents")
            .WithSummary("Ingest a batch of interactions")
            .WithDescription(
                "A JSON array of {eventId, userId, itemId, type: click|view|like|dislike|rating, value, timestamp}. The whole " +
                "batch is validated before any event is applied: one bad event refuses the batch (400, errors keyed " +
                "events[i].field). Events are applied per user in batch order and de-duplicated by eventId against each user's " +
                "last 1,000 event ids, so re-sending a batch is safe. Timestamps are ISO 8601; one without an offset is UTC. " +
                "Applied events invalidate the user's cached feed; their next feed folds them in.")
            .WithTags("Events")
            .RequireAuthorization(ApiScopes.EventsWrite)
            .Accepts<IReadOnlyList<IncomingEvent>>("application/json")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return app;
    }

    private static async Task<Results<Ok<IngestResponse>, ValidationProblem, ProblemHttpResult>> PostEventsAsync(
        HttpContext http, IEventIngestor ingestor, IOptions<IngestionOptions> ingestion, IOptions<JsonOptions> json, ServiceMetrics metrics, CancellationToken cancellationToken)
    {
        var limits = ingestion.Value;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = limits.MaxBodyBytes;
        }
        if (http.Request.ContentLength > limits.MaxBodyBytes)
        {
            return TooLarge($"The body is {http.Request.ContentLength} bytes; at most {limits.MaxBodyBytes} are accepted. Split the batch.");
        }
        if (!http.Request.HasJsonContentType())
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: "Send the batch as application/json.");
        }
        // The body is read as UTF-8 bytes: another declared charset, or a compressed body, would read as garbage.
        if (http.Request.GetTypedHeaders().ContentType?.Charset is { Length: > 0 } charset
            && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: $"The batch must be UTF-8 JSON; charset={charset} is not accepted.");
        }
        if (http.Request.Headers.ContentEncoding is { Count: > 0 } encoding && !encoding.ToString().Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: $"Content-Encoding {encoding} is not accepted; send the batch uncompressed.");
        }

        List<IncomingEvent?>? batch;
        try
        {
            batch = await JsonSerializer.DeserializeAsync<List<IncomingEvent?>>(http.Request.Body, json.Value.SerializerOptions, cancellationToken);
        }
        catch (JsonException e)
        {
            return ApiValidation.Invalid(FieldOf(e.Path), $"malformed JSON{LocationOf(e)}: {Expected(e.Path) ?? FirstSentence(e.Message)}");
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge($"The body exceeds {limits.MaxBodyBytes} bytes. Split the batch.");
        }

        if (batch is { Count: var count } && count > limits.MaxBatchSize)
        {
            return TooLarge($"The batch holds {count} events; at most {limits.MaxBatchSize} are accepted. Split the batch.");
        }
        // A user-bound credential sends only its user's events; the batch takes one rate-limit permit per event.
        if (EventAccess.Check(http, batch) is { } refused) return refused;
        var result = await ingestor.IngestAsync(batch, cancellationToken);
        if (result.Rejected)
        {
            metrics.BatchRefused();
            return TypedResults.ValidationProblem(result.Errors, title: "The batch was refused; no event of it was applied.");
        }
        metrics.BatchIngested(result.Response!);
        return TypedResults.Ok(result.Response!);
    }

    private static ProblemHttpResult TooLarge(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Batch too large", detail: detail);

    /// <summary>System.Text.Json paths (<c>$[3].timestamp</c>) in the API's field spelling (<c>events[3].timestamp</c>).</summary>
    internal static string FieldOf(string? jsonPath) =>
        string.IsNullOrEmpty(jsonPath) || jsonPath == "$" ? "events" : "events" + jsonPath.TrimStart('$');

    private static string? Expected(string? jsonPath)
    {
        var field = jsonPath?[(jsonPath.LastIndexOf('.') + 1)..];
        return field switch
        {
            "timestamp" => "expected an ISO 8601 date-time, e.g. \"2025-06-07T08:09:10Z\" (without an offset it is UTC)",
            "value" => "expected a number",
            "eventId" or "userId" or "itemId" or "type" => "expected a string",
            _ when jsonPath is "$" or null => "expected a JSON array of event objects",
            _ when jsonPath.EndsWith(']') => "expected an event object",
            _ => null,
        };
    }

    private static string LocationOf(JsonException e) =>
        e.LineNumber is { } line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : "";

    // The serializer's messages repeat the path and position; the first sentence says what was wrong.
    private static string FirstSentence(string message) => FirstSentencePattern().Match(message) is { Success: true } m ? m.Value : message;

    [GeneratedRegex(@"^.*?\.(?=\s|$)")]
    private static partial Regex FirstSentencePattern();
}
