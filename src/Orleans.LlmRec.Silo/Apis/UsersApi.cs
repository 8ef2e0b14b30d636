using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Llm.Profiles;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.Silo.Apis;

public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsersApi(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/v1/users/{userId}").WithTags("Users");
        users.MapGet("", GetUserAsync)
            .WithName("GetUser")
            .WithSummary("A user's profile, preferences and recent interactions")
            .WithDescription("An unknown user is not an error: they are shown with no interactions (a cold start).")
            .RequireAuthorization(ApiScopes.FeedsRead)
            .ProducesValidationProblem();
        users.MapPut("/preferences", SetPreferencesAsync)
            .WithName("SetPreferences")
            .WithSummary("Set a user's free-text preferences")
            .WithDescription("Body {\"preferences\": \"...\"}; null or empty clears them. They steer the re-ranker, so the cached feed is invalidated.")
            .RequireAuthorization(ApiScopes.UsersWrite)
            // A body that cannot hold a valid text (UTF-8 at its worst, plus the JSON around it) is refused with a 413
            // before it is read in full, instead of after Kestrel's 30 MB default.
            .WithMetadata(new RequestSizeLimitAttribute(PreferencesBodyLimit(app.ServiceProvider.GetRequiredService<IOptions<FeedOptions>>().Value)))
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        return app;
    }

    internal static long PreferencesBodyLimit(FeedOptions options) => 4L * options.MaxPreferencesLength + 4_096;

    private static async Task<Results<Ok<UserView>, ValidationProblem>> GetUserAsync(string userId, IGrainFactory grains, IOptions<IngestionOptions> ingestion)
    {
        if (ApiValidation.CheckId(userId, "userId", ingestion.Value.MaxIdLength) is { } badUser) return badUser;
        return TypedResults.Ok(await grains.GetUserGrain(userId).GetUserAsync());
    }

    private static async Task<Results<Ok<UserView>, ValidationProblem>> SetPreferencesAsync(
        string userId, PreferencesUpdate update, IGrainFactory grains, IOptions<FeedOptions> options, IOptions<IngestionOptions> ingestion)
    {
        if (ApiValidation.CheckId(userId, "userId", ingestion.Value.MaxIdLength) is { } badUser) return badUser;
        var max = options.Value.MaxPreferencesLength;
        if (update.Preferences is { Length: var length } && length > max)
        {
            return ApiValidation.Invalid("preferences", $"is {length} characters long; at most {max} are allowed");
        }
        // The LLM reads them (as data) to write the profile: refused here by the rules the profile itself must meet.
        if (update.Preferences is { Length: > 0 } text && ProfileTextRules.Problem(text) is { } problem)
        {
            return ApiValidation.Invalid("preferences", problem);
        }
        return TypedResults.Ok(await grains.GetUserGrain(userId).SetPreferencesAsync(update.Preferences));
    }
}
