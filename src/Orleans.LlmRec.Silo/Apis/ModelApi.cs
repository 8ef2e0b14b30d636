using Microsoft.AspNetCore.Http.HttpResults;
using Orleans.LlmRec.Silo.Serving;

namespace Orleans.LlmRec.Silo.Apis;

public static class ModelApi
{
    public static IEndpointRouteBuilder MapModelApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/admin/model/reload", ReloadAsync)
            .WithName("ReloadModel")
            .WithSummary("Serve the model now in Model:Directory, without a restart")
            .WithDescription(
                "Re-reads Model:Directory (e.g. after `llmrec train --out` replaced it; that write is atomic) on the silo that " +
                "answers, swaps its ONNX session and the model users are folded in with; requests in flight finish on the old " +
                "model. A directory that cannot be read, a model for another item map or an export the scorer refuses is " +
                "refused with 409 and the current model keeps serving. Call it on every silo of a cluster.")
            .WithTags("Operations")
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<Results<Ok<ModelReload>, ProblemHttpResult>> ReloadAsync(HttpContext http, CancellationToken cancellationToken)
    {
        // Resolved here, not bound: an API tier (Silo:Role=Client) has no model to reload.
        if (http.RequestServices.GetService<ServingLoader>() is not { } loader)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not a silo",
                detail: "This host is an API tier (Silo:Role=Client) and serves no model; reload on the silos.");
        }
        try
        {
            return TypedResults.Ok(await loader.ReloadAsync(cancellationToken));
        }
        catch (ModelReloadException e)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Model reload refused", detail: e.Reason);
        }
    }
}
