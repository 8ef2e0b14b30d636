using System.Globalization;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;

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
    /// <param name="excluded">Dense indexes never to show, sorted ascending; a last-good item the catalogue does not know is left out.</param>
    public static RankedFeed Build(RankedFeed? lastGood, int[] excluded, ItemCatalogue catalogue, int depth, string modelVersion, DateTimeOffset now)
    {
        var items = new List<RankedFeedItem>(depth);
        var taken = new HashSet<int>();
        if (lastGood is not null)
        {
            var reason = $"from the last good feed (model {lastGood.ModelVersion}, {lastGood.GeneratedAt.ToString("O", CultureInfo.InvariantCulture)})";
            foreach (var item in lastGood.Items)
            {
                if (items.Count == depth) break;
                if (!catalogue.TryGetIndex(item.ItemId, out var index) || IsExcluded(excluded, index) || !taken.Add(index)) continue;
                items.Add(item with { Stage = LastGoodStage, Reason = reason });
            }
        }
        foreach (var index in catalogue.PopularItems)
        {
            if (items.Count == depth) break;
            if (IsExcluded(excluded, index) || !taken.Add(index)) continue;
            items.Add(new RankedFeedItem
            {
                ItemId = catalogue.ItemIdOf(index),
                ModelScore = catalogue.PopularityOf(index),
                Reason = PopularReason(catalogue, index),
                Stage = PopularStage,
            });
        }
        return new RankedFeed { Items = items, Source = FeedSource.Fallback, ModelVersion = modelVersion, GeneratedAt = now };
    }

    /// <summary>Whether <paramref name="item"/> is in <paramref name="sortedExcluded"/> (sorted ascending).</summary>
    public static bool IsExcluded(int[] sortedExcluded, int item) => Array.BinarySearch(sortedExcluded, item) >= 0;

    public static string PopularReason(ItemCatalogue catalogue, int index) =>
        $"popular: {catalogue.InteractionCountOf(index)} of {catalogue.UserCount} users interacted with it";
}
