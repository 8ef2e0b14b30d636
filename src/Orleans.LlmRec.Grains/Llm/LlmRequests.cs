using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Llm.Profiles;
using Orleans.LlmRec.Llm.Reranking;
using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Grains.Llm;

/// <summary>
/// Turns a user's state into the LLM layer's requests (items as the per-silo catalogue describes them) and the LLM
/// layer's results into the grain calls that bring them back.
/// </summary>
public static class LlmRequests
{
    /// <summary>
    /// The user's favourite items, best first: per item the strongest positive signal (a rating by its stars, a like
    /// over a click over a view), ties broken by recency. Disliked items and items without text are left out.
    /// </summary>
    public static IReadOnlyList<ItemInfo> TopItems(UserHistory history, ItemCatalogue catalogue, int max)
    {
        var disliked = history.DislikedItems.ToHashSet(StringComparer.Ordinal);
        var best = new Dictionary<string, (float Strength, int Position)>(StringComparer.Ordinal);
        for (var position = 0; position < history.Count; position++)
        {
            var record = history.Interactions[position];
            if (!InteractionSignals.IsPositive(record) || disliked.Contains(record.ItemId)) continue;
            var strength = Strength(record);
            if (!best.TryGetValue(record.ItemId, out var existing) || strength >= existing.Strength)
            {
                best[record.ItemId] = (strength, position);
            }
        }
        return best
            .OrderByDescending(p => p.Value.Strength)
            .ThenByDescending(p => p.Value.Position)
            .Select(p => InfoOf(catalogue, p.Key))
            .OfType<ItemInfo>()
            .Take(max)
            .ToList();
    }

    /// <summary>The user's latest positive items, newest first, each once; items without text are left out.</summary>
    public static IReadOnlyList<ItemInfo> RecentItems(UserHistory history, ItemCatalogue catalogue, int max)
    {
        var disliked = history.DislikedItems.ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var items = new List<ItemInfo>(max);
        for (var i = history.Count - 1; i >= 0 && items.Count < max; i--)
        {
            var record = history.Interactions[i];
            if (!InteractionSignals.IsPositive(record) || disliked.Contains(record.ItemId) || !seen.Add(record.ItemId)) continue;
            if (InfoOf(catalogue, record.ItemId) is { } info) items.Add(info);
        }
        return items;
    }

    public static ProfileRequest Profile(string userId, UserHistory history, string? preferences, ItemCatalogue catalogue, int maxItems) =>
        new(userId, TopItems(history, catalogue, maxItems), RecentItems(history, catalogue, maxItems), preferences);

    /// <summary>
    /// The re-rank request for the best <paramref name="count"/> candidates by model score (one call for all of them):
    /// where dense item indexes become item ids and text, for the queued LLM job and the inline TF-IDF fallback alike.
    /// Items the catalogue has no text for are still sent, under their id, so that every candidate gets a score.
    /// </summary>
    public static RerankRequest Rerank(
        string userId, string? profile, string? preferences, IReadOnlyList<ItemInfo> recentItems,
        IReadOnlyList<ScoredCandidate> scored, ItemCatalogue catalogue, int count) =>
        new(userId,
            new RerankUserContext(profile, preferences, recentItems),
            TopByModelScore(scored, count)
                .Select(c => new RerankCandidate(catalogue.InfoOf(c.Item) ?? Untitled(catalogue.ItemIdOf(c.Item)), c.ModelScore))
                .ToList());

    /// <summary>The best <paramref name="count"/> candidates by model score; ties keep their order.</summary>
    public static IReadOnlyList<ScoredCandidate> TopByModelScore(IReadOnlyList<ScoredCandidate> scored, int count) =>
        scored.Select((c, i) => (c, i)).OrderByDescending(x => x.c.ModelScore).ThenBy(x => x.i).Take(count).Select(x => x.c).ToList();

    /// <summary>
    /// Identifies what a re-rank was asked with beyond the candidates: the profile and the stated preferences. Scores
    /// asked with another key are stale in spirit (they judged another description of the user).
    /// </summary>
    public static string ContextKey(string? profile, string? preferences)
    {
        var text = string.Concat(profile ?? "", "\u001f", preferences ?? "");
        var hash = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(text));
        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }

    public static ProfileUpdate ToUpdate(ProfileResult result, long version) => new()
    {
        Version = version,
        Outcome = ToOutcome(result.Status),
        Text = result.Succeeded ? result.Text : null,
        Source = result.Source == ProfileSource.Llm ? UserProfile.LlmSource : UserProfile.PreferencesSource,
        Error = result.Error,
    };

    public static RerankUpdate ToUpdate(RerankResult result, long version, string contextKey) => new()
    {
        Version = version,
        Outcome = ToOutcome(result.Status),
        Scores = result.Succeeded ? result.Scores.Select(p => new ItemScore { ItemId = p.Key, Score = p.Value }).ToList() : [],
        ContextKey = contextKey,
        Error = result.Error,
    };

    public static LlmJobOutcome ToOutcome(LlmResultStatus status) => status switch
    {
        LlmResultStatus.Succeeded => LlmJobOutcome.Succeeded,
        LlmResultStatus.Skipped => LlmJobOutcome.Skipped,
        LlmResultStatus.Shed => LlmJobOutcome.Shed,
        _ => LlmJobOutcome.Failed,
    };

    private static float Strength(InteractionRecord record) => record.Type switch
    {
        UserEventType.Rating => (record.Value ?? 0f) / InteractionSignals.TopRating * InteractionSignals.LikeWeight,
        UserEventType.Like => InteractionSignals.LikeWeight,
        UserEventType.Click => InteractionSignals.ClickWeight,
        _ => InteractionSignals.ViewWeight,
    };

    private static ItemInfo? InfoOf(ItemCatalogue catalogue, string itemId) =>
        catalogue.TryGetIndex(itemId, out var index) ? catalogue.InfoOf(index) : null;

    private static ItemInfo Untitled(string itemId) => new(itemId, $"item {itemId}", null, []);
}
