using Microsoft.Extensions.Logging.Abstractions;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>What a model swap means for the objects that hold the served model.</summary>
public class ModelSwapFeedTests
{
    private readonly ItemCatalogue _catalogue = TestWorld.Catalogue();

    [Fact]
    public async Task A_feed_folded_with_one_model_and_scored_by_another_takes_the_fallback_ladder()
    {
        var scoredBy = TestWorld.Served(version: "v2");
        var foldedWith = TestWorld.Served(version: "v1");
        var pipeline = new FeedPipeline(_catalogue, new FakeScorer(_catalogue, scoredBy),
            new RerankStage(new FixedStatus(false), new Orleans.LlmRec.Llm.Reranking.TfIdfReranker(), new Orleans.LlmRec.Llm.LlmOptions()),
            new FeedOptions { ScoringBudget = TimeSpan.FromSeconds(1) }, TimeProvider.System, NullLogger<FeedPipeline>.Instance);
        var state = new UserState();
        state.Apply([TestWorld.Event("e1", "3")]);

        var outcome = await pipeline.BuildAsync(new FeedContext
        {
            UserId = "u",
            Model = foldedWith,
            Embedding = state.History.EmbeddingFor(foldedWith, _catalogue),
            Excluded = state.History.ExcludedIndexes(_catalogue),
            Depth = 5,
        });

        Assert.True(outcome.Degraded);
        Assert.False(outcome.Personalised);
        Assert.Equal(FeedSource.Fallback, outcome.Feed.Source);
        Assert.Contains("the model changed during the request (v1 → v2)", outcome.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void Replacing_the_served_model_returns_the_old_one_and_refuses_another_item_map()
    {
        var first = TestWorld.Served(version: "v1");
        var serving = new SiloModel(_catalogue, first, new FakeScorer(_catalogue, first));

        var previous = serving.Replace(TestWorld.Served(version: "v2"));
        Assert.Same(first, previous);
        Assert.Equal("v2", serving.Current.Version);

        var smaller = TestWorld.Served(TestWorld.ClusterModel(itemCount: 39), version: "v3");
        Assert.Throws<ArgumentException>(() => serving.Replace(smaller));
        Assert.Equal("v2", serving.Current.Version);
    }
}
