using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.Silo.Apis;

public static class ItemsApi
{
    public const int DefaultSimilarCount = 10;

    /// <summary>An item body is a title, some text and tags: far below the events' batch limit.</summary>
    public const long MaxItemBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapItemsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/items/{itemId}/similar", GetSimilar)
            .WithName("GetSimilarItems")
            .WithSummary("Items closest to an item in the model's item space")
            .WithDescription("Cosine similarity of the served model's item vectors. A model without vectors (popularity) answers with popular items, source fallback.")
            .WithTags("Items")
            .RequireAuthorization(ApiScopes.FeedsRead)
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        app.MapPut("/v1/items/{itemId}", PutItemAsync)
            .WithName("PutItem")
            .WithSummary("Publish an item, or update a published one")
            .WithDescription(
                "Body {title (required), text, tags, publishedAt, available (default true)}. Applied to every silo's catalogue " +
                "(one catalogue version across the cluster, kept in Redis); answers once this silo (on an API tier: the silo that " +
                "applied it) applied it, so the item can be clicked and served at once. The same body again changes nothing. A retired item cannot be published again (409).")
            .WithTags("Items")
            .RequireAuthorization(ApiScopes.ItemsWrite)
            .Accepts<ItemRequest>("application/json")
            .Produces<ItemView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        app.MapDelete("/v1/items/{itemId}", DeleteItemAsync)
            .WithName("RetireItem")
            .WithSummary("Retire an item: never served again; users' histories keep it")
            .WithTags("Items")
            .RequireAuthorization(ApiScopes.ItemsWrite)
            .Produces<ItemView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/v1/items/{itemId}", GetItem)
            .WithName("GetItem")
            .WithSummary("An item as the catalogue holds it: trained or new, available, retired, and the catalogue version")
            .WithTags("Items")
            .RequireAuthorization(ApiScopes.FeedsRead)
            .Produces<ItemView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<Results<Ok<SimilarItemsResponse>, ValidationProblem, ProblemHttpResult>> GetSimilar(
        string itemId, int? k, IItemQueries items, IOptions<FeedOptions> options, IOptions<IngestionOptions> ingestion)
    {
        var count = k ?? DefaultSimilarCount;
        if (ApiValidation.CheckId(itemId, "itemId", ingestion.Value.MaxIdLength) is { } badItem) return badItem;
        if (ApiValidation.CheckK(count, options.Value.MaxK) is { } badK) return badK;
        if (await items.FindSimilarAsync(itemId, count) is not { } similar)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown item", detail: $"unknown item '{itemId}'");
        }
        return TypedResults.Ok(similar);
    }

    private static async Task<Results<Ok<ItemView>, ValidationProblem, ProblemHttpResult>> PutItemAsync(
        HttpContext http, string itemId, IItemCatalogueApi catalogue, IOptions<IngestionOptions> ingestion, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        if (ApiValidation.CheckId(itemId, "itemId", ingestion.Value.MaxIdLength) is { } badItem) return badItem;
        if (!http.Request.HasJsonContentType())
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type", detail: "Send the item as application/json.");
        }
        if (http.Request.ContentLength > MaxItemBodyBytes)
        {
            return ApiValidation.Invalid("body", $"is {http.Request.ContentLength} bytes; at most {MaxItemBodyBytes} are accepted");
        }
        ItemRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<ItemRequest>(http.Request.Body, json.Value.SerializerOptions, cancellationToken);
        }
        catch (JsonException e)
        {
            var field = e.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body";
            return ApiValidation.Invalid(field, $"malformed JSON: {e.Message.Split(". ")[0]}");
        }
        // Validated where it is applied (this silo, or the silo an API tier asks), by ItemPublicationRules.
        var result = await catalogue.PutAsync(itemId, body, cancellationToken);
        return result.Outcome switch
        {
            ItemWriteOutcome.Invalid => TypedResults.ValidationProblem(result.Errors ?? [], title: "The item was refused; nothing changed."),
            ItemWriteOutcome.Retired => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Item retired", detail: $"item '{itemId}' was retired; retired items are never published again"),
            _ => TypedResults.Ok(result.Item!),
        };
    }

    private static async Task<Results<Ok<ItemView>, ValidationProblem, ProblemHttpResult>> DeleteItemAsync(
        string itemId, IItemCatalogueApi catalogue, IOptions<IngestionOptions> ingestion, CancellationToken cancellationToken)
    {
        if (ApiValidation.CheckId(itemId, "itemId", ingestion.Value.MaxIdLength) is { } badItem) return badItem;
        var result = await catalogue.RetireAsync(itemId, cancellationToken);
        return result.Outcome == ItemWriteOutcome.Unknown ? Unknown(itemId) : TypedResults.Ok(result.Item!);
    }

    private static async Task<Results<Ok<ItemView>, ValidationProblem, ProblemHttpResult>> GetItem(
        string itemId, IItemCatalogueApi catalogue, IOptions<IngestionOptions> ingestion, CancellationToken cancellationToken)
    {
        if (ApiValidation.CheckId(itemId, "itemId", ingestion.Value.MaxIdLength) is { } badItem) return badItem;
        return await catalogue.DescribeAsync(itemId, cancellationToken) is { } view ? TypedResults.Ok(view) : Unknown(itemId);
    }

    private static ProblemHttpResult Unknown(string itemId) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown item", detail: $"unknown item '{itemId}'");
}
