using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Recommendation.FoldIn;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// How much each kind of event says about a user's taste, turned into what <see cref="UserFoldIn"/> reads:
/// a confidence weight for the ranking models (BPR, LightGCN, popularity) and a rating for the rating models
/// (SVD, SVD++). One place, so the ingestion side and the fold-in side can never disagree.
/// </summary>
public static class InteractionSignals
{
    // Confidence weights for ranking models: a like says more than a click, a click more than a view.
    public const float ViewWeight = 0.5f;
    public const float ClickWeight = 1f;
    public const float LikeWeight = 2f;
    public const float DislikeWeight = 1f;

    // Implied ratings (0.5–5 scale) for rating models, which need a number for every event.
    public const float ViewRating = 3.5f;
    public const float ClickRating = 4f;
    public const float LikeRating = 5f;
    public const float DislikeRating = 1f;

    /// <summary>Ratings below this count as a dislike-like signal (negative in fold-in), as 1–2 stars do on a 5-star scale.</summary>
    public const float NegativeRatingBelow = 2.5f;

    /// <summary>Highest rating on the usual scale; a rating's weight for ranking models is rating / this × <see cref="LikeWeight"/>.</summary>
    public const float TopRating = 5f;

    public static bool IsPositive(InteractionRecord record) => record.Type switch
    {
        UserEventType.Dislike => false,
        UserEventType.Rating => record.Value is { } v && v >= NegativeRatingBelow,
        _ => true,
    };

    /// <summary>
    /// The fold-in input for a history: one entry per catalogue item, the strongest signal per item, negative when the
    /// item is disliked (the latest dislike wins until a later positive event takes it back). Items the catalogue does
    /// not know are skipped.
    /// </summary>
    public static FoldInInteraction[] ToFoldIn(IReadOnlyList<InteractionRecord> history, IReadOnlyCollection<string> disliked, ItemCatalogue catalogue, ModelKind kind)
    {
        var ratingModel = kind.PredictsRatings();
        var byItem = new Dictionary<int, FoldInInteraction>();
        foreach (var record in history)
        {
            if (!catalogue.TryGetIndex(record.ItemId, out var item)) continue;
            var signal = ratingModel ? AsRating(item, record) : AsWeight(item, record);
            if (signal.Negative) continue;
            if (!byItem.TryGetValue(item, out var existing) || signal.Value > existing.Value)
            {
                byItem[item] = signal;
            }
        }
        foreach (var itemId in disliked)
        {
            if (catalogue.TryGetIndex(itemId, out var item))
            {
                byItem[item] = new FoldInInteraction(item, ratingModel ? DislikeRating : DislikeWeight, Negative: true);
            }
        }
        foreach (var record in history)
        {
            // Low ratings are negative unless the item also has a positive signal.
            if (record.Type == UserEventType.Rating && !IsPositive(record)
                && catalogue.TryGetIndex(record.ItemId, out var item) && !byItem.ContainsKey(item))
            {
                byItem[item] = ratingModel ? AsRating(item, record) : AsWeight(item, record);
            }
        }
        return byItem.Values.OrderBy(x => x.Item).ToArray();
    }

    private static FoldInInteraction AsWeight(int item, InteractionRecord record) => record.Type switch
    {
        UserEventType.View => new(item, ViewWeight),
        UserEventType.Click => new(item, ClickWeight),
        UserEventType.Like => new(item, LikeWeight),
        UserEventType.Dislike => new(item, DislikeWeight, Negative: true),
        UserEventType.Rating when record.Value is { } v && v >= NegativeRatingBelow => new(item, v / TopRating * LikeWeight),
        _ => new(item, DislikeWeight, Negative: true),
    };

    private static FoldInInteraction AsRating(int item, InteractionRecord record) => record.Type switch
    {
        UserEventType.View => new(item, ViewRating),
        UserEventType.Click => new(item, ClickRating),
        UserEventType.Like => new(item, LikeRating),
        UserEventType.Dislike => new(item, DislikeRating, Negative: true),
        _ => new(item, record.Value ?? DislikeRating, Negative: !IsPositive(record)),
    };
}
