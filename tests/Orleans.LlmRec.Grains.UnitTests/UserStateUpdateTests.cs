using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.UnitTests;

public class UserStateUpdateTests
{
    [Fact]
    public void Applying_a_batch_counts_duplicates_folds_in_and_invalidates_the_feed()
    {
        var catalogue = TestWorld.Catalogue();
        var model = TestWorld.Served();
        var state = new UserState { FeedIsCurrent = true };

        var first = UserGrain.Apply(state, [TestWorld.Event("a", "4"), TestWorld.Event("b", "9"), TestWorld.Event("a", "4")], model, catalogue);
        Assert.Equal(2, first.Applied);
        Assert.Equal(1, first.Duplicates);
        Assert.False(state.FeedIsCurrent);
        var embedding = Assert.IsType<FoldedEmbedding>(state.Embedding);
        Assert.Equal("v1", embedding.ModelVersion);
        Assert.Equal(2, embedding.UsedInteractions);
        // Items 4 and 9 are both in cluster 3: the folded vector points there and nowhere else.
        Assert.True(embedding.Vector[3] > 0);
        Assert.All(embedding.Vector.Where((_, k) => k != 3), v => Assert.Equal(0f, v));

        state.FeedIsCurrent = true;
        var again = UserGrain.Apply(state, [TestWorld.Event("a", "4"), TestWorld.Event("b", "9")], model, catalogue);
        Assert.Equal(0, again.Applied);
        Assert.Equal(2, again.Duplicates);
        Assert.True(state.FeedIsCurrent);
    }

    [Fact]
    public void A_user_with_only_dislikes_stays_cold()
    {
        var state = new UserState();
        UserGrain.Apply(state, [TestWorld.Event("a", "4", UserEventType.Dislike)], TestWorld.Served(), TestWorld.Catalogue());
        Assert.Equal(0, state.Embedding!.UsedInteractions);
    }

    [Fact]
    public void A_dislike_pushes_the_embedding_away_from_the_disliked_direction()
    {
        var catalogue = TestWorld.Catalogue();
        var model = TestWorld.Served();
        var likes = new UserState();
        UserGrain.Apply(likes, [TestWorld.Event("a", "4")], model, catalogue);
        var likesAndDislikes = new UserState();
        UserGrain.Apply(likesAndDislikes, [TestWorld.Event("a", "4"), TestWorld.Event("b", "9", UserEventType.Dislike)], model, catalogue);
        Assert.True(likesAndDislikes.Embedding!.Vector[3] < likes.Embedding!.Vector[3]);
    }
}
