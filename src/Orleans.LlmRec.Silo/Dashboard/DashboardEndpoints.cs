using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Silo.Apis;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>What the inspector shows for one user: the grain's own account and the current feed with its explanations.</summary>
public sealed record UserInspectorView(UserInspection Inspection, Feed Feed);

public static class DashboardEndpoints
{
    public const string Prefix = "/dashboard";

    /// <summary>
    /// Every route of the operators' dashboard under one group, <c>/dashboard</c>: the page and its files, the live
    /// event stream (<c>/dashboard/stream</c>), the user inspector (<c>/dashboard/api/users/{userId}</c>) and Orleans'
    /// own dashboard (<c>/dashboard/orleans</c>). Protecting the dashboard is one call on the returned group
    /// (<c>.RequireAuthorization(...)</c>), and nothing of it is reachable around the group.
    /// </summary>
    public static RouteGroupBuilder MapOpsDashboard(this IEndpointRouteBuilder app)
    {
        var dashboard = app.MapGroup(Prefix).WithTags("Dashboard").ExcludeFromDescription();
        dashboard.MapGet("", () => DashboardPage.Serve("index.html"));
        dashboard.MapGet("/{file:regex(^dashboard\\.(js|css)$)}", (string file) => DashboardPage.Serve(file));
        // A stream opened with a login session ends when the session does; the page then goes back to the login.
        dashboard.MapGet("/stream", async (HttpContext http, DashboardStream stream, CancellationToken cancellationToken) =>
            TypedResults.ServerSentEvents(stream.SnapshotsAsync(cancellationToken, await DashboardLogin.SessionExpiryAsync(http)), eventType: "cluster"));
        dashboard.MapGet("/api/users/{userId}", InspectUserAsync);
        dashboard.MapOrleansDashboard("/orleans");
        dashboard.MapDashboardLogin();
        return dashboard;
    }

    private static async Task<Results<Ok<UserInspectorView>, ValidationProblem>> InspectUserAsync(
        string userId, IGrainFactory grains, IOptions<FeedOptions> feed, IOptions<IngestionOptions> ingestion)
    {
        if (ApiValidation.CheckId(userId, "userId", ingestion.Value.MaxIdLength) is { } badUser) return badUser;
        var user = grains.GetUserGrain(userId);
        var inspection = await user.InspectAsync();
        var current = await user.GetFeedAsync(new FeedRequest { K = feed.Value.DefaultK, Explain = true });
        return TypedResults.Ok(new UserInspectorView(inspection, current));
    }
}
