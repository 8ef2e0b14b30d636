using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// The LLM's re-rank scores a user's feeds fuse with, by item id (ids survive a change of catalogue order), each with
/// the version of the answer that gave it; and whether they still serve the feed about to be shown
/// (<see cref="ReasonToAsk"/>). Bounded by <see cref="Capacity"/>.
/// </summary>
[GenerateSerializer, Alias("llmrec.RerankScores")]
public sealed class RerankScores
{
    /// <summary>Scores kept at most: a few answers' worth, enough to cover the candidates still shown.</summary>
    public const int Capacity = 200;

    public const string FirstRerank = "first re-rank";
    public const string ContextChanged = "profile or preferences changed";
    public const string CandidatesDrifted = "candidates drifted";

    private static readonly IReadOnlyDictionary<int, float> NoScores = new Dictionary<int, float>();

    [NonSerialized] private (ItemCatalogue Catalogue, Dictionary<int, float> Scores)? _byIndex;

    [Id(0)] public List<StoredRerankScore> Scores { get; private set; } = [];

    /// <summary>Profile and preferences key of the newest answer stored; a different current key calls for new scores.</summary>
    [Id(1)] public string? ContextKey { get; private set; }

    /// <summary>Newest answer version stored.</summary>
    [Id(2)] public long Version { get; private set; }

    [Id(3)] public DateTimeOffset? UpdatedAt { get; private set; }

    public int Count => Scores.Count;

    /// <summary>The scores by dense catalogue index (items the catalogue lacks are left out); kept until the next merge.</summary>
    public IReadOnlyDictionary<int, float> ByIndex(ItemCatalogue catalogue)
    {
        if (Scores.Count == 0) return NoScores;
        if (_byIndex is { } cached && ReferenceEquals(cached.Catalogue, catalogue)) return cached.Scores;
        var scores = new Dictionary<int, float>(Scores.Count);
        foreach (var score in Scores)
        {
            if (catalogue.TryGetIndex(score.ItemId, out var index)) scores[index] = score.Score;
        }
        _byIndex = (catalogue, scores);
        return scores;
    }

    /// <summary>
    /// Merges one answer by item id: per item the newer version wins, so an answer that arrives late fills only the
    /// items a newer one did not score. Items in <paramref name="excluded"/> (seen or disliked since) are dropped, and
    /// only the <see cref="Capacity"/> newest entries are kept. Returns true when anything changed.
    /// </summary>
    public bool Merge(IReadOnlyList<ItemScore> scores, long version, string contextKey, DateTimeOffset now, IReadOnlySet<string> excluded)
    {
        var byItem = Scores.ToDictionary(s => s.ItemId, StringComparer.Ordinal);
        var changed = false;
        foreach (var score in scores)
        {
            if (byItem.TryGetValue(score.ItemId, out var existing) && existing.Version >= version) continue;
            byItem[score.ItemId] = new StoredRerankScore { ItemId = score.ItemId, Score = score.Score, Version = version };
            changed = true;
        }
        var kept = byItem.Values
            .Where(s => !excluded.Contains(s.ItemId))
            .OrderByDescending(s => s.Version)
            .ThenBy(s => s.ItemId, StringComparer.Ordinal)
            .Take(Capacity)
            .ToList();
        changed |= kept.Count != Scores.Count;
        Scores = kept;
        _byIndex = null;
        if (version >= Version)
        {
            Version = version;
            ContextKey = contextKey;
        }
        if (changed) UpdatedAt = now;
        return changed;
    }

    /// <summary>True when the stored scores can still label a feed for <paramref name="currentContextKey"/>.</summary>
    public bool Serve(string currentContextKey) => Scores.Count > 0 && ContextKey == currentContextKey;

    /// <summary>
    /// Why the top candidates should be re-ranked now, or null when the stored scores still serve: there are no scores
    /// yet; they were asked with another profile or other preferences; or at least <paramref name="unscoredShare"/> of
    /// the top candidates have no score (the user saw some, new ones came in).
    /// </summary>
    public string? ReasonToAsk(IReadOnlyList<int> topCandidates, ItemCatalogue catalogue, string currentContextKey, double unscoredShare)
    {
        if (topCandidates.Count == 0) return null;
        if (ContextKey is null || Scores.Count == 0) return FirstRerank;
        if (!string.Equals(ContextKey, currentContextKey, StringComparison.Ordinal)) return ContextChanged;
        var scored = ByIndex(catalogue);
        var unscored = topCandidates.Count(item => !scored.ContainsKey(item));
        var threshold = Math.Max(1, (int)Math.Ceiling(unscoredShare * topCandidates.Count));
        return unscored >= threshold ? CandidatesDrifted : null;
    }
}

/// <summary>One item's re-rank score and the version of the answer that gave it.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.StoredRerankScore")]
public sealed record StoredRerankScore
{
    [Id(0)] public required string ItemId { get; init; }
    [Id(1)] public required float Score { get; init; }
    [Id(2)] public required long Version { get; init; }
}
