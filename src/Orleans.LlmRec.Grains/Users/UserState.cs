using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Llm;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// A user's state: a few parts, each owning its data and the rules that change it (tested without a cluster). Stored
/// in two grain states: the hot <see cref="Activity"/> (history and profile schedule, written with every event) and
/// this object's own fields (preferences, profile text, re-rank scores, last good feed), written only when they
/// change. Every collection is bounded by a named constant (src/Orleans.LlmRec.Silo/README.md, "State size").
/// </summary>
/// <remarks>
/// Retired field ids, never to be reused (they held the flat layout before the parts): 0 and 1 (history and event-id
/// hashes as lists), 2 (embedding), 4 and 5 (profile text and time), 6 and 7 (cached feed and its currency flag),
/// 8 to 19 (dislikes, totals, seeding flag, profile schedule and version, re-rank scores), 20 and 21 (compact history
/// and event-id window), 22 (saved last good feed), 23 (the history, now in <see cref="UserActivity"/>).
/// </remarks>
[GenerateSerializer, Alias("llmrec.UserState")]
public sealed class UserState
{
    [NonSerialized] private UserActivity? _activity;

    /// <summary>The hot part, stored on its own (kept in memory here, not in this object's stored fields).</summary>
    public UserActivity Activity => _activity ?? Attach(new UserActivity());

    /// <summary>What the user did: history, dislikes, recent event ids.</summary>
    public UserHistory History => Activity.History;

    /// <summary>The user's own words about their tastes; they steer the profile and the re-ranker.</summary>
    [Id(3)] public string? Preferences { get; private set; }

    /// <summary>The written profile and when to ask for the next.</summary>
    [Id(24)] public UserProfile Profile { get; private set; } = new();

    /// <summary>The LLM's re-rank scores the feed fuses with.</summary>
    [Id(25)] public RerankScores Rerank { get; private set; } = new();

    /// <summary>The cached feed (in memory) and the last good one (stored compactly).</summary>
    [Id(26)] public FeedCache Feed { get; private set; } = new();

    /// <summary>Joins the hot part read from its own storage (after every read of either part); returns it.</summary>
    public UserActivity Attach(UserActivity activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        _activity = activity;
        Profile.UseSchedule(activity.Schedule);
        return activity;
    }

    /// <summary>Applies a batch of events (arrived at <paramref name="arrivedAt"/>, server clock); anything applied makes the cached feed outdated.</summary>
    public ApplyResult Apply(IReadOnlyList<UserEvent> events, DateTimeOffset? arrivedAt = null)
    {
        var result = History.Apply(events, arrivedAt);
        if (result.Applied > 0) Feed.Invalidate();
        return result;
    }

    /// <summary>Sets the preferences (trimmed; blank clears them). Returns false when they did not change.</summary>
    public bool SetPreferences(string? preferences)
    {
        var text = string.IsNullOrWhiteSpace(preferences) ? null : preferences.Trim();
        if (Preferences == text) return false;
        Preferences = text;
        // Preferences steer the re-ranker, so the cached order may no longer be right.
        Feed.Invalidate();
        return true;
    }

    /// <summary>Stores a profile answer; a changed profile steers the re-ranker, so the next feed is built again.</summary>
    public bool StoreProfile(ProfileUpdate update, DateTimeOffset now)
    {
        if (!Profile.TryStore(update, now)) return false;
        Feed.Invalidate();
        return true;
    }

    /// <summary>Merges a re-rank answer (items seen or disliked since are dropped); new scores make the next feed fuse them.</summary>
    public bool StoreRerank(RerankUpdate update, DateTimeOffset now)
    {
        if (!Rerank.Merge(update.Scores, update.Version, update.ContextKey, now, History.ExcludedItemIds())) return false;
        Feed.Invalidate();
        return true;
    }

    /// <summary>Identifies the profile and preferences a re-rank is asked with now.</summary>
    public string RerankContextKey => LlmRequests.ContextKey(Profile.Text, Preferences);

    /// <summary>
    /// A re-rank for the newest context failed or was shed. A cached feed made while it was pending says "not
    /// degraded"; with no scores for the current profile and preferences to fall back on, that is no longer true, so
    /// the next request builds it again and labels it (in memory: nothing to write).
    /// </summary>
    public void RerankFailed()
    {
        if (!Rerank.Serve(RerankContextKey)) Feed.Invalidate();
    }

    /// <summary>The dashboard inspector's view: <paramref name="view"/> plus the profile's schedule and the LLM's stored re-rank answer.</summary>
    public UserInspection Inspect(UserView view, string silo) => new()
    {
        User = view,
        Silo = silo,
        ProfileVersion = Profile.Version,
        ProfilePendingChanges = Profile.PendingChanges,
        ProfileRequestedAt = Profile.RequestedAt,
        RerankVersion = Rerank.Version,
        RerankServesCurrentContext = Rerank.Serve(RerankContextKey),
        RerankScores = Rerank.Scores.OrderByDescending(s => s.Score).Take(UserInspection.MaxRerankScores)
            .Select(s => new ItemScore { ItemId = s.ItemId, Score = s.Score }).ToList(),
    };

    public UserView ToView(string userId, string? embeddingModelVersion) => new()
    {
        UserId = userId,
        RecentInteractions = History.Interactions.AsEnumerable().Reverse()
            .Select(h => new RecentInteraction { ItemId = h.ItemId, Type = h.Type, Value = h.Value, Timestamp = h.Timestamp })
            .ToList(),
        Preferences = Preferences,
        Profile = Profile.Text,
        ProfileUpdatedAt = Profile.UpdatedAt,
        TotalInteractions = History.TotalInteractions,
        EmbeddingModelVersion = embeddingModelVersion,
        DislikedItems = History.DislikedItems.ToList(),
        ProfileSource = Profile.Source,
        RerankUpdatedAt = Rerank.UpdatedAt,
    };
}

/// <summary>One interaction in a user's history, by external item id (survives a change of catalogue order).</summary>
[GenerateSerializer, Immutable, Alias("llmrec.InteractionRecord")]
public sealed record InteractionRecord
{
    [Id(0)] public required string ItemId { get; init; }
    [Id(1)] public required UserEventType Type { get; init; }
    [Id(2)] public float? Value { get; init; }
    [Id(3)] public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The event id's fingerprint (<see cref="EventIdHash.Fingerprint"/>), for de-duplication; null for seeded records.</summary>
    [Id(4)] public uint? EventFingerprint { get; init; }
}

/// <summary>A user's vector and bias folded in from their history with one model version (kept in memory, not stored).</summary>
public sealed record FoldedEmbedding
{
    public required float[] Vector { get; init; }
    public float Bias { get; init; }
    public required string ModelVersion { get; init; }

    /// <summary>Interactions fold-in used; 0 means the user is cold for this model.</summary>
    public int UsedInteractions { get; init; }
}
