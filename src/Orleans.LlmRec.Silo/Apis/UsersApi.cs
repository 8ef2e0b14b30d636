using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Users;

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
            .ProducesValidationProblem();
        users.MapPut("/preferences", SetPreferencesAsync)
            .WithName("SetPreferences")
            .WithSummary("Set a user's free-text preferences")
            .WithDescription("Body {\"preferences\": \"...\"}; null or empty clears them. They steer the re-ranker, so the cached feed is invalidated.")
            .ProducesValidationProblem();
        return app;
    }

    private static async Task<Results<Ok<UserView>, ValidationProblem>> GetUserAsync(string userId, IGrainFactory grains)
    {
        if (ApiValidation.CheckId(userId, "userId") is { } badUser) return badUser;
        return TypedResults.Ok(await grains.GetUserGrain(userId).GetUserAsync());
    }

    private static async Task<Results<Ok<UserView>, ValidationProblem>> SetPreferencesAsync(
        string userId, PreferencesUpdate update, IGrainFactory grains, IOptions<FeedOptions> options)
    {
        if (ApiValidation.CheckId(userId, "userId") is { } badUser) return badUser;
        var max = options.Value.MaxPreferencesLength;
        if (update.Preferences is { Length: var length } && length > max)
        {
            return ApiValidation.Invalid("preferences", $"is {length} characters long; at most {max} are allowed");
        }
        return TypedResults.Ok(await grains.GetUserGrain(userId).SetPreferencesAsync(update.Preferences));
    }
}
