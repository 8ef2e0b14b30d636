using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.Feeds;

/// <summary>What an explained feed adds: the model to explain with, the user's liked items and their profile.</summary>
public sealed record FeedExplanationInputs(ModelSnapshot Model, IReadOnlyList<int> PositiveItems, string? Profile, DateTimeOffset? ProfileUpdatedAt);

/// <summary>Cuts a <see cref="RankedFeed"/> to one request: its exclusions, its k, titles, and explanations when asked.</summary>
public static class FeedResponse
{
    /// <summary>The response to <paramref name="request"/> from <paramref name="ranked"/>, explained from the user's state when asked.</summary>
    public static Feed For(string userId, UserState user, RankedFeed ranked, FeedRequest request, ItemCatalogue catalogue, ModelSnapshot model, bool degraded, string? note)
    {
        var explain = request.Explain
            ? new FeedExplanationInputs(model, user.History.PositiveIndexes(catalogue), user.Profile.Text, user.Profile.UpdatedAt)
            : null;
        return Build(userId, ranked, request, catalogue, explain, degraded, note);
    }

    /// <param name="explain">Null unless the request asks for explanations.</param>
    public static Feed Build(string userId, RankedFeed ranked, FeedRequest request, ItemCatalogue catalogue, FeedExplanationInputs? explain, bool degraded, string? note)
    {
        var excluded = request.Exclude.Count == 0 ? null : request.Exclude.ToHashSet(StringComparer.Ordinal);
        var items = new List<FeedItem>(Math.Min(request.K, ranked.Items.Count));
        foreach (var item in ranked.Items)
        {
            if (items.Count == request.K) break;
            if (excluded?.Contains(item.ItemId) == true) continue;
            items.Add(new FeedItem
            {
                ItemId = item.ItemId,
                Score = item.FinalScore ?? item.RerankScore ?? item.ModelScore,
                Title = catalogue.TitleOf(item.ItemId),
                Explanation = explain is null ? null : FeedExplainer.Explain(item, explain.Model, catalogue, explain.PositiveItems),
            });
        }
        return new Feed
        {
            UserId = userId,
            Items = items,
            Source = ranked.Source,
            Degraded = degraded,
            ModelVersion = ranked.ModelVersion,
            GeneratedAt = ranked.GeneratedAt,
            Note = note,
            Profile = explain?.Profile,
            ProfileUpdatedAt = explain?.ProfileUpdatedAt,
        };
    }
}
