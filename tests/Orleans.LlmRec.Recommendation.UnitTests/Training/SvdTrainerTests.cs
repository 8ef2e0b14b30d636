using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.UnitTests.Training;

public class SvdTrainerTests
{
    private static readonly SvdOptions Small = new() { Factors = 8, Epochs = 25, Seed = 5 };

    [Fact]
    public void Learns_low_rank_ratings_far_better_than_the_global_mean()
    {
        var (train, test) = LowRankRatings.Split(LowRankRatings.Generate());
        var baseline = LowRankRatings.GlobalMeanRmse(train, test);

        var model = new SvdTrainer().Train(train);

        var (testRmse, _) = RatingMetrics.Evaluate(model, test, 1f, 5f);
        var (trainRmse, _) = RatingMetrics.Evaluate(model, train.Interactions, 1f, 5f);
        Assert.True(testRmse < 0.7 * baseline, $"test RMSE {testRmse:F3} vs global-mean baseline {baseline:F3}");
        Assert.True(trainRmse < testRmse, $"train RMSE {trainRmse:F3} should be below test RMSE {testRmse:F3}");
    }

    [Fact]
    public void Same_seed_gives_identical_weights_and_another_seed_does_not()
    {
        var train = LowRankRatings.Generate(users: 80, items: 60);

        var first = new SvdTrainer(Small).Train(train);
        var again = new SvdTrainer(Small).Train(train);
        var other = new SvdTrainer(Small with { Seed = 6 }).Train(train);

        AssertSameWeights(first, again);
        Assert.NotEqual(first.UserVectors, other.UserVectors);
    }

    [Fact]
    public void Thread_count_does_not_change_the_weights()
    {
        var train = LowRankRatings.Generate(users: 80, items: 60);

        var serial = new SvdTrainer(Small with { MaxDegreeOfParallelism = 1 }).Train(train);
        var parallel = new SvdTrainer(Small with { MaxDegreeOfParallelism = 4 }).Train(train);

        AssertSameWeights(serial, parallel);
    }

    [Fact]
    public void Score_is_the_biased_factor_prediction_and_unseen_rows_fall_back_to_biases()
    {
        // User 3 and item 4 exist in the id maps but have no training ratings.
        var users = new IdMap(["a", "b", "c", "d"]);
        var items = new IdMap(["w", "x", "y", "z", "v"]);
        Interaction[] ratings =
        [
            new(0, 0, 5, 0), new(0, 1, 3, 0), new(1, 1, 4, 0), new(1, 2, 2, 0),
            new(2, 0, 1, 0), new(2, 3, 5, 0), new(0, 3, 4, 0), new(1, 0, 2, 0),
        ];
        var model = new SvdTrainer(new SvdOptions { Factors = 4, Epochs = 5 }).Train(new RatingsDataset("tiny", users, items, ratings));

        Assert.Equal(ModelKind.Svd, model.Kind);
        Assert.Equal(ratings.Average(x => x.Rating), model.GlobalBias, 5);
        var expected = model.GlobalBias + model.UserBias[0] + model.ItemBias[2]
            + Enumerable.Range(0, 4).Sum(f => model.UserVector(0)[f] * model.ItemVector(2)[f]);
        Assert.Equal(expected, model.Score(0, 2), 5);
        Assert.NotEqual(0f, model.UserBias[0]);

        Assert.Equal(0f, model.ItemBias[4]);
        Assert.Equal(model.GlobalBias + model.UserBias[1], model.Score(1, 4), 6);
        Assert.Equal(0f, model.UserBias[3]);
        Assert.Equal(model.GlobalBias + model.ItemBias[1], model.Score(3, 1), 6);
    }

    [Fact]
    public void Reports_each_epoch_records_parameters_and_falls_in_training_error()
    {
        var train = LowRankRatings.Generate(users: 80, items: 60);
        var reports = new List<TrainingProgress>();

        var model = new SvdTrainer(Small).Train(train, new ImmediateProgress(reports.Add));

        Assert.Equal(Enumerable.Range(1, Small.Epochs), reports.Select(r => r.Epoch));
        Assert.All(reports, r => Assert.Equal(Small.Epochs, r.TotalEpochs));
        Assert.True(reports[^1].Loss < 0.85 * reports[0].Loss, $"train RMSE went {reports[0].Loss:F3} → {reports[^1].Loss:F3}");
        Assert.Equal(Small.Regularization, model.Parameters[RatingModelParameters.Regularization]);
        Assert.Equal(Small.Factors, model.Parameters[RatingModelParameters.Factors]);
        Assert.Equal(train.Interactions.Min(x => x.Rating), model.Parameters[RatingModelParameters.RatingMin], 6);
        Assert.Equal(train.Interactions.Max(x => x.Rating), model.Parameters[RatingModelParameters.RatingMax], 6);
    }

    [Fact]
    public void Honours_cancellation()
    {
        var train = LowRankRatings.Generate(users: 40, items: 30);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => new SvdTrainer(Small).Train(train, null, cancellation.Token));
    }

    [Fact]
    public void Rejects_invalid_options_and_empty_training_data()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SvdTrainer(new SvdOptions { Factors = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SvdTrainer(new SvdOptions { LearningRate = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SvdTrainer(new SvdOptions { Blocks = 0 }));
        var empty = LowRankRatings.Generate(users: 5, items: 5).WithInteractions([]);
        Assert.Throws<ArgumentException>(() => new SvdTrainer(Small).Train(empty));
    }

    internal static void AssertSameWeights(EmbeddingModel expected, EmbeddingModel actual)
    {
        Assert.Equal(expected.GlobalBias, actual.GlobalBias);
        Assert.Equal(expected.UserVectors, actual.UserVectors);
        Assert.Equal(expected.ItemVectors, actual.ItemVectors);
        Assert.Equal(expected.UserBias, actual.UserBias);
        Assert.Equal(expected.ItemBias, actual.ItemBias);
        Assert.Equal(expected.Extras.Keys.Order(), actual.Extras.Keys.Order());
        foreach (var (name, tensor) in expected.Extras) Assert.Equal(tensor, actual.Extras[name]);
    }
}

/// <summary>An IProgress that calls back on the reporting thread (Progress&lt;T&gt; posts asynchronously).</summary>
internal sealed class ImmediateProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}
