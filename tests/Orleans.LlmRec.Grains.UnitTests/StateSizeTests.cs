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
        Assert.Equal(state.Embedding!.Vector, copy.Embedding!.Vector);
        Assert.Equal(state.LastGoodFeed!.Items, copy.LastGoodFeed!.Items);
        Assert.Equal(state.Preferences, copy.Preferences);
    }

    private static UserState FullState()
    {
        var state = new UserState();
        for (var i = 0; i < UserState.EventIdCapacity + 500; i++)
        {
            state.TryRecord(new UserEvent
            {
                EventId = Guid.NewGuid().ToString(),
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
        state.LastGoodFeed = new StoredFeed
        {
            Items = Enumerable.Range(0, feedItems).Select(i => new StoredFeedItem
            {
                ItemId = (300_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ModelScore = (float)random.NextDouble(),
                Stage = FeedPipeline.ModelStage,
            }).ToList(),
            Source = FeedSource.Model,
            ModelVersion = "20250607T080910Z-0a1b2c",
            GeneratedAt = DateTimeOffset.UnixEpoch,
        };
        state.FeedIsCurrent = true;
    }
}
