using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Silo.Security;
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
                "Re-reads Model:Directory (e.g. after `llmrec train --out` replaced it; that write is atomic), swaps the ONNX " +
                "session and the model users are folded in with; requests in flight finish on the old model. `scope=cluster` " +
                "(the default) does so on every active silo at once and reports each; `scope=silo` only on the silo that " +
                "answers. A directory that cannot be read, a model for another item map or an export the scorer refuses is " +
                "refused with 409 naming each silo's reason, and that silo keeps serving its current model.")
            .WithTags("Operations")
            .RequireAuthorization(ApiScopes.Admin)
            // The cluster answer, the default; scope=silo answers {previousVersion, version, changed}.
            .Produces<ClusterModelReload>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }

    private static async Task<IResult> ReloadAsync(HttpContext http, IGrainFactory grains, string? scope, CancellationToken cancellationToken)
    {
        // Resolved here, not bound: an API tier (Silo:Role=ApiTier) has no model, loader or grain service of its own.
        var loader = http.RequestServices.GetService<SiloModelLoader>();
        switch ((scope ?? "cluster").ToLowerInvariant())
        {
            case "cluster":
                var reload = http.RequestServices.GetService<IClusterModelReloader>() is { } reloader
                    ? await reloader.ReloadEverywhereAsync(cancellationToken)
                    : await grains.GetGrain<IApiTierGrain>(0).ReloadModelEverywhereAsync();
                if (reload.Refusals.Any())
                {
                    var reasons = string.Join("; ", reload.Refusals.Select(s => $"{s.Silo}: {s.Error}"));
                    return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Model reload refused",
                        detail: $"{reload.Refusals.Count()} of {reload.Silos.Count} silos kept their model. {reasons}",
                        extensions: new Dictionary<string, object?> { ["silos"] = reload.Silos });
                }
                return TypedResults.Ok(reload);
            case "silo" when loader is null:
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Not a silo",
                    detail: "This host is an API tier (Silo:Role=ApiTier) and serves no model; use scope=cluster, or reload on a silo.");
            case "silo":
                try
                {
                    return TypedResults.Ok(await loader.ReloadAsync(cancellationToken));
                }
                catch (ModelReloadException e)
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Model reload refused", detail: e.Reason);
                }
            default:
                return ApiValidation.Invalid("scope", $"'{scope}' is neither 'cluster' nor 'silo'");
        }
    }
}
