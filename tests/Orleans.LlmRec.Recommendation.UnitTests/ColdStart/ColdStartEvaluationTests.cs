using Orleans.LlmRec.Recommendation.ColdStart;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.UnitTests.ColdStart;

public class ColdStartEvaluationTests
{
    private static readonly RatingsDataset Catalogue = SyntheticCatalogue.Generate(new SyntheticCatalogueOptions { Seed = 8, UserCount = 300, ItemCount = 300, MeanInteractionsPerUser = 30 });

    [Fact]
    public void The_split_removes_every_interaction_with_a_new_item_from_training()
    {
        var split = ColdStartSplit.Create(Catalogue, 0.1, seed: 1);
        var isNew = split.NewItems.ToHashSet();

        Assert.InRange(split.NewItems.Length, 25, 35);
        Assert.DoesNotContain(split.Train, x => isNew.Contains(x.Item));
        Assert.All(split.Test, x => Assert.Contains(x.Item, isNew));
        Assert.Equal(split.NewItems, ColdStartSplit.Create(Catalogue, 0.1, seed: 1).NewItems);
        Assert.NotEqual(split.NewItems, ColdStartSplit.Create(Catalogue, 0.1, seed: 2).NewItems);
    }

    /// <summary>
    /// Placing the new items at their own vectors from a model trained on everything must beat random placement by
    /// far: the measure can tell a good placement from a bad one.
    /// </summary>
    [Fact]
    public void Placement_at_the_true_vectors_beats_random_placement()
    {
        var split = ColdStartSplit.Create(Catalogue, 0.2, seed: 3);
        var model = ModelTrainers.Create(Recommendation.Models.ModelKind.Bpr, new TrainerSettings { Seed = 3, Epochs = 30, Factors = 16 }).Train(Catalogue);
        var d = model.Dimension;
        var vectors = split.NewItems.SelectMany(i => model.ItemVector(i).ToArray()).ToArray();
        var truth = new NewItemPlacement("true vectors", d, vectors, split.NewItems.Select(i => model.ItemBias[i]).ToArray());

        var placed = ColdStartEvaluation.Measure(model, split, truth, [10]);
        var random = ColdStartEvaluation.MeasureRandom(split, [10], seed: 3);

        Assert.True(placed.Ndcg[10] > 2 * random.Ndcg[10], $"true {placed.Ndcg[10]:F3} vs random {random.Ndcg[10]:F3}");
        // Random placement's recall@10 is about 10 / |new items|.
        Assert.InRange(random.Recall[10], 0.5 * 10.0 / split.NewItems.Length, 2.0 * 10.0 / split.NewItems.Length);
    }
}
