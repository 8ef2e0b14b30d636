using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Grains.UnitTests;

public class CatalogueAndSimilarityTests
{
    [Fact]
    public void Popularity_counts_distinct_users_and_orders_items_most_popular_first()
    {
        var catalogue = TestWorld.Catalogue();
        Assert.Equal(30, catalogue.UserCount);
        Assert.Equal(30, catalogue.InteractionCountOf(0));
        Assert.Equal(1f, catalogue.PopularityOf(0));
        Assert.Equal(["1", "2", "3"], catalogue.PopularItems[..3].ToArray().Select(catalogue.ItemIdOf));
        // Items nobody chose come last, in index order.
        Assert.Equal(["31", "32"], catalogue.PopularItems[30..32].ToArray().Select(catalogue.ItemIdOf));
        Assert.Equal("Item 5", catalogue.TitleOf("5"));
    }

    [Fact]
    public void The_model_item_map_fixes_the_indexes_and_unknown_data_set_items_are_left_out()
    {
        var dataset = TestWorld.Dataset(itemCount: 10, userCount: 10);
        var modelItems = new IdMap(["7", "3", "100"]);
        var catalogue = ItemCatalogue.Build(dataset, modelItems, historyLimitPerUser: 0);
        Assert.Equal(3, catalogue.Count);
        Assert.True(catalogue.TryGetIndex("3", out var three));
        Assert.Equal(1, three);
        Assert.False(catalogue.Contains("5"));
        Assert.Equal(8, catalogue.InteractionCountOf(1)); // item "3" is chosen by users 0..7
        Assert.Equal(0, catalogue.InteractionCountOf(2));
        Assert.Null(catalogue.TitleOf("100"));
    }

    [Fact]
    public void Training_histories_are_kept_newest_last_and_bounded()
    {
        var catalogue = TestWorld.Catalogue(historyPerUser: 5);
        var history = catalogue.TrainingHistoryOf("u1");
        Assert.Equal(5, history.Count);
        Assert.Equal(["26", "27", "28", "29", "30"], history.Select(h => h.ItemId));
        Assert.All(history, h => Assert.Equal(UserEventType.Rating, h.Type));
        Assert.Empty(catalogue.TrainingHistoryOf("stranger"));
    }

    [Fact]
    public void Similar_items_are_those_of_the_same_cluster()
    {
        var catalogue = TestWorld.Catalogue();
        var similar = SimilarItemsFinder.Find(TestWorld.Served(), catalogue, item: 2, k: 7);
        Assert.Equal(FeedSource.Model, similar.Source);
        Assert.Equal("3", similar.ItemId);
        Assert.Equal(["8", "13", "18", "23", "28", "33", "38"], similar.Items.Select(i => i.ItemId));
        Assert.All(similar.Items, i => Assert.Equal(1f, i.Score, 5));
    }

    [Fact]
    public void Without_item_vectors_similar_items_fall_back_to_popular_ones()
    {
        var catalogue = TestWorld.Catalogue();
        var popularity = new ModelSnapshot(new EmbeddingModel(ModelKind.Popularity, 30, 40, 0), "pop-1");
        var similar = SimilarItemsFinder.Find(popularity, catalogue, item: 0, k: 3);
        Assert.Equal(FeedSource.Fallback, similar.Source);
        Assert.Equal(["2", "3", "4"], similar.Items.Select(i => i.ItemId));
    }

    [Fact]
    public void Explanations_name_the_liked_item_nearest_to_a_model_item()
    {
        var catalogue = TestWorld.Catalogue();
        catalogue.TryGetIndex("4", out var four);
        catalogue.TryGetIndex("1", out var one);
        var item = new RankedFeedItem { ItemId = "9", ModelScore = 0.75f, Stage = FeedPipeline.ModelStage };
        var explanation = FeedExplainer.Explain(item, TestWorld.Served(), catalogue, [one, four]);
        Assert.Equal(0.75f, explanation.ModelScore);
        Assert.Equal("model", explanation.Stage);
        Assert.Contains("closest to 'Item 4'", explanation.Reason, StringComparison.Ordinal);

        var fallback = item with { Stage = FeedFallback.PopularStage, Reason = "popular: 3 of 30 users interacted with it" };
        Assert.Equal(fallback.Reason, FeedExplainer.Explain(fallback, TestWorld.Served(), catalogue, [one]).Reason);
    }
}
