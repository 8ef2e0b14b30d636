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
        var bytes = Serializer.SerializeToArray(state);
        output.WriteLine($"full user state: {bytes.Length:N0} bytes (history {state.History.Count}, event ids {state.RecentEventIds.Count}, " +
                         $"disliked {state.DislikedItems.Count}, feed {state.LastGoodFeed!.Items.Count}, dimension {Dimension})");
        output.WriteLine($"empty user state: {Serializer.SerializeToArray(new UserState()).Length:N0} bytes");
        output.WriteLine($"typical user (50 interactions, feed of 50): {Serializer.SerializeToArray(TypicalState()).Length:N0} bytes");
        // Bounded: the full state must not exceed 40 KB whatever the user does.
        Assert.InRange(bytes.Length, 10_000, 40_000);

        var copy = Serializer.Deserialize<UserState>(bytes)!;
        Assert.Equal(state.History, copy.History);
        Assert.Equal(state.RecentEventIds, copy.RecentEventIds);
        Assert.Equal(state.DislikedItems, copy.DislikedItems);
        Assert.Equal(state.Preferences, copy.Preferences);
        Assert.Equal(state.TotalInteractions, copy.TotalInteractions);
        Assert.True(copy.HasSeenEvent($"full-{UserState.EventIdCapacity + 499}"));
        Assert.True(copy.HasSeenEvent("full-500"));
        Assert.False(copy.HasSeenEvent("full-499"));
        // Recomputed rather than stored: the embedding (from the history). The feed comes back as a fallback only:
        // ids and model scores, not current, so the next request rebuilds it.
        Assert.Null(copy.Embedding);
        Assert.Null(copy.LastGoodFeed);
        copy.RestoreLastGoodFeed();
        Assert.Equal(state.LastGoodFeed!.Items.Select(i => (i.ItemId, i.ModelScore)), copy.LastGoodFeed!.Items.Select(i => (i.ItemId, i.ModelScore)));
        Assert.Equal(state.LastGoodFeed.ModelVersion, copy.LastGoodFeed.ModelVersion);
        Assert.False(copy.FeedIsCurrent);
    }

    [Fact]
    public void What_ingestion_writes_for_a_seeded_user_is_a_few_kilobytes()
    {
        // The ingestion benchmark's user: 200 seeded interactions and 200 recent event ids, no feed, no LLM state.
        var state = new UserState();
        for (var i = 0; i < UserState.HistoryCapacity; i++)
        {
            state.TryRecord(TestWorld.Event($"in-1-{i % 8}-{i}", (1_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        var bytes = Serializer.SerializeToArray(state).Length;
        // The same data in the list layout stored before (ids 0 and 1), for comparison.
        var listLayout = Serializer.SerializeToArray(new UserState
        {
            LegacyHistory = [.. state.History],
            LegacyRecentEventIds = [.. state.RecentEventIds],
            TotalInteractions = state.TotalInteractions,
        }).Length;
        output.WriteLine($"200 clicks and 200 event ids: {bytes:N0} bytes (list layout: {listLayout:N0} bytes)");
        // Per click: a 4-byte item id with its length byte, the type byte, 8 bytes of ticks and 2 of offset; 8 bytes
        // per event-id hash; a few bytes of framing.
        Assert.InRange(bytes, 200 * 16 + 200 * 8, 200 * 16 + 200 * 8 + 100);
        Assert.True(bytes < listLayout);
    }

    [Fact]
    public void State_stored_in_the_list_layout_is_moved_to_the_compact_one()
    {
        // What reading a state written before the compact layout gives: ids 0 and 1 filled, the new ones empty.
        var hashes = Enumerable.Range(0, UserState.EventIdCapacity + 3).Select(i => EventIdHash.Of($"old-{i}")).ToList();
        var old = new UserState
        {
            LegacyHistory = Enumerable.Range(0, UserState.HistoryCapacity + 2)
                .Select(i => new InteractionRecord { ItemId = $"{i}", Type = UserEventType.Click, Timestamp = DateTimeOffset.UnixEpoch.AddSeconds(i) })
                .ToList(),
            LegacyRecentEventIds = hashes,
        };
        var read = Serializer.Deserialize<UserState>(Serializer.SerializeToArray(old))!;
        Assert.Empty(read.History);
        Assert.True(read.UpgradeStoredLayout());
        Assert.False(read.UpgradeStoredLayout());
        Assert.Null(read.LegacyHistory);
        Assert.Null(read.LegacyRecentEventIds);
        // The bounds still hold, keeping the newest.
        Assert.Equal(Enumerable.Range(2, UserState.HistoryCapacity).Select(i => $"{i}"), read.History.Select(h => h.ItemId));
        Assert.Equal(hashes.Skip(3), read.RecentEventIds);
        Assert.True(read.HasSeenEvent($"old-{UserState.EventIdCapacity + 2}"));
        Assert.False(read.HasSeenEvent("old-2"));
    }

    private static UserState FullState()
    {
        var state = new UserState();
        for (var i = 0; i < UserState.EventIdCapacity + 500; i++)
        {
            state.TryRecord(new UserEvent
            {
                EventId = $"full-{i}",
                UserId = "user-123456",
                ItemId = (100_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Type = i % 7 == 0 ? UserEventType.Rating : UserEventType.Click,
                Value = i % 7 == 0 ? 4.5f : null,
                Timestamp = DateTimeOffset.UnixEpoch.AddSeconds(1_700_000_000 + i),
            });
        }
        for (var i = 0; i < UserState.DislikedCapacity; i++)
        {
            state.AddInteraction(new InteractionRecord { ItemId = (200_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), Type = UserEventType.Dislike, Timestamp = DateTimeOffset.UnixEpoch });
        }
        Fill(state, feedItems: new FeedOptions().CacheDepth);
        state.Preferences = new string('p', new FeedOptions().MaxPreferencesLength);
        state.Profile = new string('q', 2_000);
        state.ProfileUpdatedAt = DateTimeOffset.UnixEpoch;
        return state;
    }

    private static UserState TypicalState()
    {
        var state = new UserState();
        for (var i = 0; i < 50; i++)
        {
            state.TryRecord(TestWorld.Event(Guid.NewGuid().ToString(), (100_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        Fill(state, feedItems: 50);
        return state;
    }

    private static void Fill(UserState state, int feedItems)
    {
        var random = new Random(7);
        state.Embedding = new FoldedEmbedding
        {
            Vector = Enumerable.Range(0, Dimension).Select(_ => (float)random.NextDouble()).ToArray(),
            Bias = 0.1f,
            ModelVersion = "20250607T080910Z-0a1b2c",
            UsedInteractions = state.History.Count,
        };
        state.CacheFeed(new RankedFeed
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
        });
    }
}
