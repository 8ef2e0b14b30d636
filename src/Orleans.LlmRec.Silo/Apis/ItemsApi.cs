using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.Silo.Apis;

public static class ItemsApi
{
    public const int DefaultSimilarCount = 10;

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
}
