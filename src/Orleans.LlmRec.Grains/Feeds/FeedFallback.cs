using System.Globalization;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.Feeds;

/// <summary>
/// The lower rungs of the fallback ladder (personalised → <b>last good feed</b> → <b>popular items</b>), and the
/// cold-start feed, which is the popular rung on its own. Items the user must not see are dropped from both rungs.
/// </summary>
public static class FeedFallback
{
    public const string LastGoodStage = "last-good-feed";
    public const string PopularStage = "popular";

    /// <summary>
    /// The items of <paramref name="lastGood"/> still allowed, then popular items not already there, up to
    /// <paramref name="depth"/>. Scores: the stored model score for the first rung, the popularity share for the second.
    /// </summary>
    public static StoredFeed Build(StoredFeed? lastGood, IReadOnlySet<string> excluded, ItemCatalogue catalogue, int depth, string modelVersion, DateTimeOffset now)
    {
        var items = new List<StoredFeedItem>(depth);
        var taken = new HashSet<string>(StringComparer.Ordinal);
        if (lastGood is not null)
        {
            var reason = $"from the last good feed (model {lastGood.ModelVersion}, {lastGood.GeneratedAt.ToString("O", CultureInfo.InvariantCulture)})";
            foreach (var item in lastGood.Items)
            {
                if (items.Count == depth) break;
                if (excluded.Contains(item.ItemId) || !taken.Add(item.ItemId)) continue;
                items.Add(item with { Stage = LastGoodStage, Reason = reason });
            }
        }
        foreach (var index in catalogue.PopularItems)
        {
            if (items.Count == depth) break;
            var itemId = catalogue.ItemIdOf(index);
            if (excluded.Contains(itemId) || !taken.Add(itemId)) continue;
            items.Add(new StoredFeedItem
            {
                ItemId = itemId,
                ModelScore = catalogue.PopularityOf(index),
                Reason = PopularReason(catalogue, index),
                Stage = PopularStage,
            });
        }
        return new StoredFeed { Items = items, Source = FeedSource.Fallback, ModelVersion = modelVersion, GeneratedAt = now };
    }

    public static string PopularReason(ItemCatalogue catalogue, int index) =>
        $"popular: {catalogue.InteractionCountOf(index)} of {catalogue.UserCount} users interacted with it";
}
