using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.UnitTests;

public class UserStateUpdateTests
{
    [Fact]
    public void Applying_a_batch_counts_duplicates_invalidates_the_feed_and_leaves_the_fold_in_to_the_next_feed()
    {
        var catalogue = TestWorld.Catalogue();
        var model = TestWorld.Served();
        var state = new UserState();
        KeepAFeed(state);

        var first = state.Apply([TestWorld.Event("a", "4"), TestWorld.Event("b", "9"), TestWorld.Event("a", "4")]);
        Assert.Equal(2, first.Applied);
        Assert.Equal(1, first.Duplicates);
        Assert.False(state.Feed.IsCurrent);
        // Ingestion does not fold in; the feed (or the user view) does, once.
        Assert.Null(state.History.Embedding);
        var embedding = Assert.IsType<FoldedEmbedding>(state.History.EmbeddingFor(model, catalogue));
        Assert.Same(embedding, state.History.Embedding);
        Assert.Same(embedding, state.History.EmbeddingFor(model, catalogue));
        Assert.Equal("v1", embedding.ModelVersion);
        Assert.Equal(2, embedding.UsedInteractions);
        // Items 4 and 9 are both in cluster 3: the folded vector points there and nowhere else.
        Assert.True(embedding.Vector[3] > 0);
        Assert.All(embedding.Vector.Where((_, k) => k != 3), v => Assert.Equal(0f, v));

        KeepAFeed(state);
        var again = state.Apply([TestWorld.Event("a", "4"), TestWorld.Event("b", "9")]);
        Assert.Equal(0, again.Applied);
        Assert.Equal(2, again.Duplicates);
        Assert.True(state.Feed.IsCurrent);
        // Nothing applied: the folded embedding is still the current one.
        Assert.Same(embedding, state.History.Embedding);
    }

    [Fact]
    public void The_lazily_folded_embedding_equals_a_fold_after_every_event()
    {
        var catalogue = TestWorld.Catalogue();
        var model = TestWorld.Served();
        var lazy = new UserState();
        var eager = new UserState();
        var random = new Random(11);
        var types = new[] { UserEventType.Click, UserEventType.View, UserEventType.Like, UserEventType.Dislike, UserEventType.Rating };
        // Enough events for items to fall out of the bounded history, and dislikes taken back by later positives.
        for (var i = 0; i < UserHistory.HistoryCapacity + 150; i++)
        {
            var type = types[random.Next(types.Length)];
            var e = TestWorld.Event($"e{i}", ((i * 7 % 40) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), type,
                type == UserEventType.Rating ? 1 + random.Next(9) / 2f : null);
            lazy.Apply([e]);
            eager.Apply([e]);
            var everyEvent = eager.History.Fold(model, catalogue);
            if (i % 37 == 0 || i == UserHistory.HistoryCapacity + 149)
            {
                var folded = lazy.History.EmbeddingFor(model, catalogue)!;
                Assert.Equal(everyEvent.Vector, folded.Vector);
                Assert.Equal(everyEvent.Bias, folded.Bias);
                Assert.Equal(everyEvent.UsedInteractions, folded.UsedInteractions);
            }
        }
    }

    [Fact]
    public void A_new_model_folds_the_embedding_again()
    {
        var catalogue = TestWorld.Catalogue();
        var state = new UserState();
        state.Apply([TestWorld.Event("a", "4")]);
        var v1 = state.History.EmbeddingFor(TestWorld.Served(), catalogue)!;
        var v2 = state.History.EmbeddingFor(TestWorld.Served(version: "v2"), catalogue)!;
        Assert.Equal("v1", v1.ModelVersion);
        Assert.Equal("v2", v2.ModelVersion);
        Assert.Same(v2, state.History.Embedding);
    }

    [Fact]
    public void A_user_with_no_history_has_no_embedding()
    {
        Assert.Null(new UserState().History.EmbeddingFor(TestWorld.Served(), TestWorld.Catalogue()));
    }

    [Theory]
    [InlineData(UserEventType.View, null, true)]
    [InlineData(UserEventType.Click, null, false)]
    [InlineData(UserEventType.Like, null, false)]
    [InlineData(UserEventType.Rating, 4.5f, false)]
    [InlineData(UserEventType.Rating, 1f, true)]
    public void Only_a_deliberate_positive_takes_a_dislike_back(UserEventType later, float? value, bool stillDisliked)
    {
        var state = new UserState();
        state.Apply([TestWorld.Event("a", "4", UserEventType.Dislike)]);
        state.Apply([TestWorld.Event("b", "4", later, value)]);
        Assert.Equal(stillDisliked, state.History.DislikedItems.Contains("4"));
    }

    [Theory]
    [InlineData(UserEventType.Like, 2, 1, false)]
    [InlineData(UserEventType.Like, 1, 2, true)]
    [InlineData(UserEventType.Click, 5, 4, false)]
    [InlineData(UserEventType.Click, 4, 5, true)]
    public void Whether_an_item_is_disliked_follows_when_things_happened_not_when_they_arrived(
        UserEventType positive, int positiveMinute, int dislikeMinute, bool disliked)
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        var positiveEvent = TestWorld.Event("p", "4", positive) with { Timestamp = at.AddMinutes(positiveMinute) };
        var dislikeEvent = TestWorld.Event("d", "4", UserEventType.Dislike) with { Timestamp = at.AddMinutes(dislikeMinute) };
        // Either order of arrival gives the same answer.
        var positiveFirst = new UserState();
        positiveFirst.Apply([positiveEvent, dislikeEvent]);
        var dislikeFirst = new UserState();
        dislikeFirst.Apply([dislikeEvent, positiveEvent]);
        Assert.Equal(disliked, positiveFirst.History.DislikedItems.Contains("4"));
        Assert.Equal(disliked, dislikeFirst.History.DislikedItems.Contains("4"));
    }

    [Fact]
    public void A_user_with_only_dislikes_stays_cold()
    {
        var state = new UserState();
        state.Apply([TestWorld.Event("a", "4", UserEventType.Dislike)]);
        Assert.Equal(0, state.History.EmbeddingFor(TestWorld.Served(), TestWorld.Catalogue())!.UsedInteractions);
    }

    [Fact]
    public void A_dislike_pushes_the_embedding_away_from_the_disliked_direction()
    {
        var catalogue = TestWorld.Catalogue();
        var model = TestWorld.Served();
        var likes = new UserState();
        likes.Apply([TestWorld.Event("a", "4")]);
        var likesAndDislikes = new UserState();
        likesAndDislikes.Apply([TestWorld.Event("a", "4")]);
        var before = likesAndDislikes.History.EmbeddingFor(model, catalogue)!;
        // A dislike arriving after the fold drops the kept embedding; the next one includes it.
        likesAndDislikes.Apply([TestWorld.Event("b", "9", UserEventType.Dislike)]);
        Assert.Null(likesAndDislikes.History.Embedding);
        var after = likesAndDislikes.History.EmbeddingFor(model, catalogue)!;
        Assert.Equal(before.Vector, likes.History.EmbeddingFor(model, catalogue)!.Vector);
        Assert.True(after.Vector[3] < before.Vector[3]);
    }

    private static void KeepAFeed(UserState state) => state.Feed.Keep(new RankedFeed
    {
        Items = [new RankedFeedItem { ItemId = "1", ModelScore = 1f, Stage = FeedPipeline.ModelStage }],
        Source = FeedSource.Model,
        ModelVersion = "v1",
        GeneratedAt = DateTimeOffset.UnixEpoch,
    }, bound: 10);
}
