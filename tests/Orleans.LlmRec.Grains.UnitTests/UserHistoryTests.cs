using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.UnitTests;

public class UserHistoryTests
{
    [Fact]
    public void An_event_id_seen_before_is_a_duplicate_and_changes_nothing()
    {
        var state = new UserHistory();
        Assert.True(state.TryRecord(TestWorld.Event("e1", "3")));
        Assert.False(state.TryRecord(TestWorld.Event("e1", "4")));
        Assert.Single(state.Interactions);
        Assert.Equal("3", state.Interactions[0].ItemId);
        Assert.Equal(1, state.TotalInteractions);
    }

    [Fact]
    public void The_de_duplication_window_keeps_exactly_the_most_recent_ids()
    {
        var state = new UserHistory();
        var total = UserHistory.EventIdCapacity + 25;
        for (var i = 0; i < total; i++)
        {
            Assert.True(state.TryRecord(TestWorld.Event($"e{i}", "1")));
        }
        Assert.Equal(UserHistory.EventIdCapacity, state.RememberedEventIds);
        // The newest id is still remembered; the oldest ones fell out of the window.
        Assert.True(state.HasSeenEvent($"e{total - 1}"));
        Assert.True(state.HasSeenEvent($"e{total - UserHistory.EventIdCapacity}"));
        Assert.False(state.HasSeenEvent($"e{total - UserHistory.EventIdCapacity - 1}"));
        Assert.False(state.HasSeenEvent("e0"));
    }

    [Fact]
    public void History_is_bounded_and_drops_the_oldest_interactions()
    {
        var state = new UserHistory();
        var total = UserHistory.HistoryCapacity + 50;
        for (var i = 0; i < total; i++)
        {
            state.TryRecord(TestWorld.Event($"e{i}", (i % 40 + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        Assert.Equal(UserHistory.HistoryCapacity, state.Interactions.Count);
        Assert.Equal(total, state.TotalInteractions);
        Assert.Equal((50 % 40 + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), state.Interactions[0].ItemId);
    }

    [Fact]
    public void A_dislike_is_remembered_and_a_later_positive_event_takes_it_back()
    {
        var state = new UserHistory();
        state.TryRecord(TestWorld.Event("e1", "7", UserEventType.Dislike));
        Assert.Equal(["7"], state.DislikedItems);
        Assert.Contains("7", state.ExcludedItemIds());

        state.TryRecord(TestWorld.Event("e2", "7", UserEventType.Like));
        Assert.Empty(state.DislikedItems);
        // Still excluded from the feed: the user has seen it.
        Assert.Contains("7", state.ExcludedItemIds());
    }

    [Fact]
    public void Disliked_items_outlive_the_history_window_up_to_their_own_bound()
    {
        var state = new UserHistory();
        state.TryRecord(TestWorld.Event("dislike", "9", UserEventType.Dislike));
        for (var i = 0; i < UserHistory.HistoryCapacity + 10; i++)
        {
            state.TryRecord(TestWorld.Event($"e{i}", "1"));
        }
        Assert.DoesNotContain(state.Interactions, h => h.ItemId == "9");
        Assert.Contains("9", state.ExcludedItemIds());

        for (var i = 0; i < UserHistory.DislikedCapacity + 5; i++)
        {
            state.AddInteraction(new InteractionRecord { ItemId = $"x{i}", Type = UserEventType.Dislike, Timestamp = DateTimeOffset.UnixEpoch });
        }
        Assert.Equal(UserHistory.DislikedCapacity, state.DislikedItems.Count);
        Assert.DoesNotContain("9", state.DislikedItems);
    }

    [Fact]
    public void Only_ratings_keep_their_value()
    {
        var state = new UserHistory();
        state.TryRecord(TestWorld.Event("e1", "1", UserEventType.Click, value: 3f));
        state.TryRecord(TestWorld.Event("e2", "2", UserEventType.Rating, value: 4.5f));
        Assert.Null(state.Interactions[0].Value);
        Assert.Equal(4.5f, state.Interactions[1].Value);
    }

    [Fact]
    public void Event_id_hashes_differ_for_different_ids_and_agree_for_equal_ones()
    {
        Assert.Equal(EventIdHash.Of("abc"), EventIdHash.Of(new string(['a', 'b', 'c'])));
        var hashes = Enumerable.Range(0, 10_000).Select(i => EventIdHash.Of($"event-{i}")).ToHashSet();
        Assert.Equal(10_000, hashes.Count);
    }

    [Fact]
    public void Excluded_indexes_are_the_seen_and_disliked_items_the_catalogue_knows_sorted_and_once_each()
    {
        var catalogue = TestWorld.Catalogue();
        var history = new UserHistory();
        history.TryRecord(TestWorld.Event("e1", "9"));
        history.TryRecord(TestWorld.Event("e2", "2", UserEventType.Dislike));
        history.TryRecord(TestWorld.Event("e3", "9", UserEventType.Like));
        history.TryRecord(TestWorld.Event("e4", "unknown-item"));
        var excluded = history.ExcludedIndexes(catalogue);
        Assert.Equal(new[] { "2", "9" }.Select(id => catalogue.TryGetIndex(id, out var i) ? i : -1).Order(), excluded);
    }

    [Fact]
    public void A_training_user_is_seeded_with_their_newest_interactions_and_marked_so()
    {
        var history = new UserHistory();
        Assert.Equal(0, history.SeedFrom([]));
        Assert.False(history.SeededFromTrainingData);
        var training = Enumerable.Range(0, UserHistory.HistoryCapacity + 5)
            .Select(i => new RecentInteraction { ItemId = $"{i}", Type = UserEventType.Rating, Value = 4f, Timestamp = DateTimeOffset.UnixEpoch.AddSeconds(i) })
            .ToList();
        Assert.Equal(UserHistory.HistoryCapacity, history.SeedFrom(training));
        Assert.True(history.SeededFromTrainingData);
        Assert.Equal("5", history.Interactions[0].ItemId);
        Assert.Equal(0, history.RememberedEventIds);
    }

    [Fact]
    public void Ids_older_than_the_history_are_remembered_while_the_user_keeps_sending_and_the_history_s_always()
    {
        var history = new UserHistory();
        var start = DateTimeOffset.UnixEpoch.AddDays(20_000);
        var total = UserHistory.EventIdCapacity;
        for (var i = 0; i < total; i++) history.Apply([TestWorld.Event($"e{i}", "1")], start.AddSeconds(i));
        Assert.Equal(UserHistory.EventIdCapacity - UserHistory.HistoryCapacity, history.OlderEventIds.Count);
        // Within an hour of the last event, a re-sent old event is still recognised.
        Assert.Equal(0, history.Apply([TestWorld.Event("e0", "1")], start.AddSeconds(total).AddMinutes(59)).Applied);

        // After more than an hour without events, only the history's own fingerprints are kept.
        var later = start.AddSeconds(total).AddMinutes(59) + UserHistory.OlderIdsIdleLimit + TimeSpan.FromSeconds(1);
        var result = history.Apply([TestWorld.Event("e0", "1"), TestWorld.Event($"e{total - 1}", "1")], later);
        Assert.Equal((1, 1), (result.Applied, result.Duplicates));
        Assert.Single(history.OlderEventIds);
    }

    [Fact]
    public void A_fresh_event_is_taken_for_a_duplicate_about_as_rarely_as_the_fingerprint_width_says()
    {
        // The trade-off of 32-bit fingerprints: with W ids remembered, a new id collides with probability W / 2^32.
        // At the 1,000-id bound, 200,000 fresh ids expect 0.05 false duplicates; 3 or more would be a broken hash.
        var history = new UserHistory();
        for (var i = 0; i < UserHistory.EventIdCapacity; i++) history.TryRecord(TestWorld.Event($"seen-{i}", "1"));
        var falseDuplicates = 0;
        for (var i = 0; i < 200_000; i++)
        {
            if (history.HasSeenEvent($"fresh-{i}")) falseDuplicates++;
        }
        Assert.InRange(falseDuplicates, 0, 2);
        for (var i = 0; i < UserHistory.EventIdCapacity; i++) Assert.True(history.HasSeenEvent($"seen-{i}"));
    }
}
