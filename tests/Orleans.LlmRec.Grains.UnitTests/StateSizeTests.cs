using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Users;
using Orleans.Serialization;
using Xunit.Abstractions;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>
/// How large one user's state gets when every bound is reached, in Orleans' binary serializer (what the Redis grain
/// storage writes, see the integration tests for the bytes in Redis itself).
/// </summary>
public class StateSizeTests(ITestOutputHelper output)
{
    /// <summary>Dimension of the default served models (BPR, LightGCN, SVD factors).</summary>
    private const int Dimension = 64;

    private static readonly Serializer Serializer = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(UserState).Assembly))
        .BuildServiceProvider()
        .GetRequiredService<Serializer>();

    [Fact]
    public void A_full_user_state_stays_within_a_few_tens_of_kilobytes_and_round_trips()
    {
        var state = FullState();
        var bytes = Bytes(state);
        output.WriteLine($"full user state: {bytes:N0} bytes, of which the part every event writes {Serializer.SerializeToArray(state.Activity).Length:N0} " +
                         $"(history {state.History.Count}, event ids {state.History.RememberedEventIds}, " +
                         $"disliked {state.History.DislikedItems.Count}, feed {state.Feed.LastGood!.Items.Count}, dimension {Dimension})");
        output.WriteLine($"empty user state: {Bytes(new UserState()):N0} bytes");
        output.WriteLine($"typical user (50 interactions, feed of 50): {Bytes(TypicalState()):N0} bytes");
        // Bounded: the full state must not exceed 40 KB whatever the user does.
        Assert.InRange(bytes, 8_000, 40_000);

        var copy = RoundTrip(state);
        Assert.Equal(state.History.Interactions, copy.History.Interactions);
        Assert.Equal(state.History.OlderEventIds, copy.History.OlderEventIds);
        Assert.Equal(state.History.DislikedItems, copy.History.DislikedItems);
        Assert.Equal(state.Preferences, copy.Preferences);
        Assert.Equal(state.History.TotalInteractions, copy.History.TotalInteractions);
        Assert.True(copy.History.HasSeenEvent($"full-{UserHistory.EventIdCapacity + 499}"));
        // The 500 dislikes (no event ids) pushed the newest 200 events out of the history: the fingerprints of the
        // 800 newest events are kept beyond it, so "full-700" is the oldest one remembered.
        Assert.True(copy.History.HasSeenEvent("full-700"));
        Assert.False(copy.History.HasSeenEvent("full-699"));
        Assert.Equal(state.Profile.Text, copy.Profile.Text);
        Assert.Equal(state.Profile.Version, copy.Profile.Version);
        Assert.Equal(state.Rerank.Scores, copy.Rerank.Scores);
        Assert.Equal(state.Rerank.ContextKey, copy.Rerank.ContextKey);
        // Recomputed rather than stored: the embedding (from the history). The feed comes back as a fallback only:
        // ids and model scores, not current, so the next request rebuilds it.
        Assert.Null(copy.History.Embedding);
        Assert.False(copy.Feed.IsCurrent);
        Assert.Equal(state.Feed.LastGood!.Items.Select(i => (i.ItemId, i.ModelScore)), copy.Feed.LastGood!.Items.Select(i => (i.ItemId, i.ModelScore)));
        Assert.Equal(state.Feed.LastGood.ModelVersion, copy.Feed.LastGood.ModelVersion);
        Assert.All(copy.Feed.LastGood.Items, i => Assert.Equal(FeedPipeline.ModelStage, i.Stage));
    }

    [Fact]
    public void What_ingestion_writes_for_a_seeded_user_is_a_few_kilobytes()
    {
        // The ingestion benchmark's user: 200 seeded interactions and 200 recent event ids, no feed, no LLM state.
        var state = new UserState();
        for (var i = 0; i < UserHistory.HistoryCapacity; i++)
        {
            state.History.TryRecord(TestWorld.Event($"in-1-{i % 8}-{i}", (1_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        var bytes = Serializer.SerializeToArray(state.Activity).Length;
        output.WriteLine($"200 clicks and 200 event ids: {bytes:N0} bytes");
        // Per click: a flags byte, a 2-byte numeric item id, a 1-byte time delta (the same second), a 4-byte
        // fingerprint; a few bytes of framing.
        Assert.InRange(bytes, 200 * 8, 200 * 8 + 100);
    }

    [Fact]
    public void Every_part_of_the_state_round_trips_and_what_is_kept_in_memory_only_does_not()
    {
        var state = TypicalState();
        Assert.True(state.Feed.IsCurrent);
        state.SetPreferences("  heists and capers ");
        // New preferences steer the re-ranker: the cached feed is no longer current, but stays the last good one.
        Assert.False(state.Feed.IsCurrent);
        state.Profile.CountChanges(3, DateTimeOffset.UnixEpoch);
        var copy = RoundTrip(state);
        Assert.Equal("heists and capers", copy.Preferences);
        Assert.Equal(3, copy.Profile.PendingChanges);
        Assert.Equal(DateTimeOffset.UnixEpoch, copy.Profile.PendingSince);
        Assert.False(copy.Feed.IsCurrent);
        Assert.Equal(state.Feed.LastGood!.Items.Count, copy.Feed.LastGood!.Items.Count);
        Assert.NotNull(state.History.Embedding);
        Assert.Null(copy.History.Embedding);
        Assert.Equal(state.History.Interactions, copy.History.Interactions);
    }

    /// <summary>Both stored parts, as the grain writes them.</summary>
    private static long Bytes(UserState state) => Serializer.SerializeToArray(state).Length + Serializer.SerializeToArray(state.Activity).Length;

    private static UserState RoundTrip(UserState state)
    {
        var copy = Serializer.Deserialize<UserState>(Serializer.SerializeToArray(state))!;
        copy.Attach(Serializer.Deserialize<UserActivity>(Serializer.SerializeToArray(state.Activity))!);
        return copy;
    }

    private static UserState FullState()
    {
        var state = new UserState();
        for (var i = 0; i < UserHistory.EventIdCapacity + 500; i++)
        {
            state.History.TryRecord(new UserEvent
            {
                EventId = $"full-{i}",
                UserId = "user-123456",
                ItemId = (100_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Type = i % 7 == 0 ? UserEventType.Rating : UserEventType.Click,
                Value = i % 7 == 0 ? 4.5f : null,
                Timestamp = DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000 + i),
            });
        }
        for (var i = 0; i < UserHistory.DislikedCapacity; i++)
        {
            state.History.AddInteraction(new InteractionRecord { ItemId = (200_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), Type = UserEventType.Dislike, Timestamp = DateTimeOffset.UnixEpoch });
        }
        Fill(state, feedItems: new FeedOptions().CacheDepth);
        state.SetPreferences(new string('p', new FeedOptions().MaxPreferencesLength));
        state.StoreProfile(new ProfileUpdate { Version = 1, Outcome = LlmJobOutcome.Succeeded, Text = new string('q', 2_000), Source = UserProfile.LlmSource }, DateTimeOffset.UnixEpoch);
        state.StoreRerank(new RerankUpdate
        {
            Version = 2,
            Outcome = LlmJobOutcome.Succeeded,
            ContextKey = state.RerankContextKey,
            Scores = Enumerable.Range(0, RerankScores.Capacity).Select(i => new ItemScore { ItemId = (400_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), Score = 0.5f }).ToList(),
        }, DateTimeOffset.UnixEpoch);
        // Storing the profile and scores made the feed outdated; keep one again, as the next feed would.
        Fill(state, feedItems: new FeedOptions().CacheDepth);
        return state;
    }

    private static UserState TypicalState()
    {
        var state = new UserState();
        for (var i = 0; i < 50; i++)
        {
            state.History.TryRecord(TestWorld.Event(Guid.NewGuid().ToString(), (100_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        Fill(state, feedItems: 50);
        return state;
    }

    private static void Fill(UserState state, int feedItems)
    {
        var random = new Random(7);
        state.History.Embedding = new FoldedEmbedding
        {
            Vector = Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble()).ToArray(),
            Bias = 0.1f,
            ModelVersion = "20250607T080910Z-0a1b2c",
            UsedInteractions = state.History.Count,
        };
        state.Feed.Keep(new RankedFeed
        {
            Items = Enumerable.Range(0, feedItems).Select(i => new RankedFeedItem
            {
                ItemId = (300_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ModelScore = (float)random.NextDouble(),
                Stage = FeedPipeline.ModelStage,
            }).ToList(),
            Source = FeedSource.Model,
            ModelVersion = "20250607T080910Z-0a1b2c",
            GeneratedAt = DateTimeOffset.UnixEpoch,
        }, bound: feedItems);
    }
}
