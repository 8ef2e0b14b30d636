using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Recommendation.FoldIn;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// How much each kind of event says about a user's taste, turned into what <see cref="UserFoldIn"/> reads. Clicks,
/// views and likes are implicit signals with a confidence weight (rating models read them as the top rating);
/// ratings are explicit (for ranking models, their weight grows with the stars); dislikes and low ratings are negative.
/// One place, so the ingestion side and the fold-in side can never disagree.
/// </summary>
public static class InteractionSignals
{
    // Confidence weights of implicit signals: a like says more than a click, a click more than a view.
    public const float ViewWeight = 0.5f;
    public const float ClickWeight = 1f;
    public const float LikeWeight = 2f;
    public const float DislikeWeight = 1f;

    /// <summary>Ratings below this count as a dislike (negative in fold-in), as 1–2 stars do on a 5-star scale.</summary>
    public const float NegativeRatingBelow = 2.5f;

    /// <summary>Highest rating on the usual scale; for ranking models a rating weighs rating / this × <see cref="LikeWeight"/>.</summary>
    public const float TopRating = 5f;

    /// <summary>
    /// Whether <paramref name="record"/> takes back an earlier dislike of its item: a deliberate positive act (a click,
    /// a like, a good rating). A view is not one: an impression, or reopening an item, says nothing about a change of mind.
    /// </summary>
    public static bool TakesBackDislike(InteractionRecord record) => record.Type != UserEventType.View && IsPositive(record);

    public static bool IsPositive(InteractionRecord record) => record.Type switch
    {
        UserEventType.Dislike => false,
        UserEventType.Rating => record.Value is { } v && v >= NegativeRatingBelow,
        _ => true,
    };

    /// <summary>
    /// The fold-in input for a history: one entry per catalogue item. Per item, an explicit rating wins over implicit
    /// signals and a stronger signal over a weaker one; a remembered dislike overrides both (until a later positive
    /// event takes it back, see <see cref="UserHistory.AddInteraction"/>); a low rating counts only when the item has no
    /// positive signal. Items the catalogue does not know are skipped.
    /// </summary>
    public static FoldInInteraction[] ToFoldIn(IReadOnlyList<InteractionRecord> history, IReadOnlyCollection<string> disliked, ItemCatalogue catalogue, ModelKind kind)
    {
        var ratingModel = kind.PredictsRatings();
        var positives = new Dictionary<int, FoldInInteraction>();
        var negatives = new Dictionary<int, FoldInInteraction>();
        // History is oldest first, so the last explicit rating of an item is the user's current opinion of it:
        // re-rating a film from 5 to 2 replaces the 5.
        var latestRatings = new Dictionary<int, FoldInInteraction>();
        foreach (var record in history)
        {
            // Items published after training are not in the model's item space: the fold-in cannot use them.
            if (!catalogue.TryGetIndex(record.ItemId, out var item) || item >= catalogue.Count) continue;
            var signal = Signal(item, record, ratingModel);
            if (signal.IsRating)
            {
                latestRatings[item] = signal;
            }
            else if (signal.Negative)
            {
                negatives[item] = signal;
            }
            else if (!positives.TryGetValue(item, out var existing) || signal.Value > existing.Value)
            {
                positives[item] = signal;
            }
        }
        // Precedence, weakest first: implicit negatives, a negative latest rating, implicit positives, a positive
        // latest rating. So a positive signal outweighs a negative one, and an explicit rating an implicit one.
        var byItem = new Dictionary<int, FoldInInteraction>(negatives);
        foreach (var (item, signal) in latestRatings.Where(r => r.Value.Negative)) byItem[item] = signal;
        foreach (var (item, signal) in positives) byItem[item] = signal;
        foreach (var (item, signal) in latestRatings.Where(r => !r.Value.Negative)) byItem[item] = signal;
        foreach (var itemId in disliked)
        {
            if (catalogue.TryGetIndex(itemId, out var item) && item < catalogue.Count) byItem[item] = new FoldInInteraction(item, DislikeWeight, Negative: true);
        }
        return byItem.Values.OrderBy(x => x.Item).ToArray();
    }

    private static FoldInInteraction Signal(int item, InteractionRecord record, bool ratingModel) => record.Type switch
    {
        UserEventType.View => new(item, ViewWeight),
        UserEventType.Click => new(item, ClickWeight),
        UserEventType.Like => new(item, LikeWeight),
        UserEventType.Dislike => new(item, DislikeWeight, Negative: true),
        _ => record.Value is { } rating
            ? new(item, ratingModel ? rating : rating / TopRating * LikeWeight, Negative: rating < NegativeRatingBelow, IsRating: true)
            : new(item, DislikeWeight, Negative: true),
    };
}
