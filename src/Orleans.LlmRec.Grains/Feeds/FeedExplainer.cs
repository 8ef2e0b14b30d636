using System.Globalization;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Grains.Feeds;

/// <summary>
/// Says why an item holds its place in a feed (<c>?explain=true</c>): the re-ranker's or fallback rung's own reason
/// when it gave one, otherwise for model items the liked item nearest to it in the model's item space.
/// </summary>
public static class FeedExplainer
{
    public static FeedExplanation Explain(RankedFeedItem item, ModelSnapshot model, ItemCatalogue catalogue, IReadOnlyList<int> positiveItems) => new()
    {
        ModelScore = item.ModelScore,
        RerankScore = item.RerankScore,
        Stage = item.Stage,
        Reason = item.Reason ?? ModelReason(item, model, catalogue, positiveItems),
    };

    private static string ModelReason(RankedFeedItem item, ModelSnapshot model, ItemCatalogue catalogue, IReadOnlyList<int> positiveItems)
    {
        var score = item.ModelScore.ToString("0.###", CultureInfo.InvariantCulture);
        if (!catalogue.TryGetIndex(item.ItemId, out var index))
        {
            return $"{model.Kind.ToName()} model score {score}";
        }
        if (index >= model.ItemCount)
        {
            return $"{model.Kind.ToName()} model score {score}; a new item, placed in the model's space by its text and tags";
        }
        if (!model.HasItemVectors || positiveItems.Count == 0)
        {
            return $"{model.Kind.ToName()} model score {score}; {FeedFallback.PopularReason(catalogue, index)}";
        }
        var nearest = -1;
        var best = float.NegativeInfinity;
        foreach (var liked in positiveItems)
        {
            if (liked >= model.ItemCount) continue;
            var similarity = model.Similarity(index, liked);
            if (similarity > best)
            {
                best = similarity;
                nearest = liked;
            }
        }
        var title = catalogue.TitleOf(nearest) ?? catalogue.ItemIdOf(nearest);
        // Only catalogues above Feed:ApproximateAboveItems get an index, so its presence says which path served.
        var retrieval = model.ItemIndex.Ready is null ? "" : "; a candidate of the approximate item index, scored exactly";
        return $"{model.Kind.ToName()} model score {score}; closest to '{title}' you liked (similarity {best.ToString("0.00", CultureInfo.InvariantCulture)}){retrieval}";
    }
}
