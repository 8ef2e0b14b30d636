using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.UnitTests.Evaluation;

public class HoldoutEvaluationTests
{
    private static readonly RatingsDataset Data = SyntheticCatalogue.Generate(new SyntheticCatalogueOptions { UserCount = 80, ItemCount = 60, MeanInteractionsPerUser = 15, Seed = 3 });

    [Fact]
    public void Compare_trains_each_kind_on_the_training_part_and_measures_it_on_the_test_part()
    {
        var split = EvaluationProtocol.Microsoft.Split(Data.Interactions, seed: 1);
        var settings = new TrainerSettings { Seed = 1, Epochs = 3 };
        var trained = new List<(ModelKind Kind, int Interactions)>();

        var results = HoldoutEvaluation.Compare(Data, split, [ModelKind.Popularity, ModelKind.Svd], settings, [5, 10], threshold: null,
            (trainer, train, ct) =>
            {
                trained.Add((trainer.Kind, train.Interactions.Length));
                return TimedTraining.Run(trainer, train, ct);
            });

        Assert.Equal([(ModelKind.Popularity, split.Train.Length), (ModelKind.Svd, split.Train.Length)], trained);
        Assert.Equal(["pop", "svd"], results.Select(r => r.Model));
        Assert.All(results, r => Assert.Equal((split.Train.Length, split.Test.Length), (r.TrainInteractions, r.TestInteractions)));
        // Only the rating model is measured by RMSE/MAE; both by the ranking metrics at every cut-off.
        Assert.False(results[0].Metrics.ContainsKey("rmse"));
        Assert.True(results[1].Metrics["rmse"] > 0);
        Assert.All(results, r => Assert.Contains("ndcg@5", r.Metrics.Keys));
        Assert.All(results, r => Assert.Contains("ndcg@10", r.Metrics.Keys));

        // The same seed trains the same model: Measure on it gives what Compare reported.
        var train = Data.WithInteractions(split.Train);
        var svd = ModelTrainers.Create(ModelKind.Svd, settings).Train(train);
        var (metrics, evaluatedUsers) = HoldoutEvaluation.Measure(svd, train.ToMatrix(), split, [5, 10], threshold: null);
        Assert.Equal(metrics, results[1].Metrics);
        Assert.Equal(evaluatedUsers, results[1].EvaluatedUsers);
        Assert.Equal(svd.Parameters, results[1].Parameters);
    }

    [Fact]
    public void A_relevance_threshold_leaves_low_ratings_out_of_the_relevant_set()
    {
        var split = EvaluationProtocol.Microsoft.Split(Data.Interactions, seed: 1);
        var train = Data.WithInteractions(split.Train);
        var model = new PopularityTrainer().Train(train);

        var all = HoldoutEvaluation.Measure(model, train.ToMatrix(), split, [10], threshold: null);
        var high = HoldoutEvaluation.Measure(model, train.ToMatrix(), split, [10], threshold: 5);

        Assert.True(high.EvaluatedUsers < all.EvaluatedUsers, $"{high.EvaluatedUsers} users with a 5-star test rating, {all.EvaluatedUsers} with any.");
    }

    [Fact]
    public void Cross_validation_results_read_as_one_row_with_each_folds_rmse()
    {
        var result = new RatingCrossValidationResult([new RatingFoldResult(0, 1.0, 0.8, 1, 10, 5), new RatingFoldResult(1, 0.8, 0.6, 1, 10, 5)], 0.9, 0.7, 2);

        var row = result.ToDictionary();

        Assert.Equal(0.9, row["rmse"]);
        Assert.Equal(0.7, row["mae"]);
        Assert.Equal(0.1, row["rmse_std"], 12);
        Assert.Equal((1.0, 0.8), (row["rmse_fold1"], row["rmse_fold2"]));
        Assert.Equal(5, row.Count);
    }
}
