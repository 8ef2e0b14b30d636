using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.UnitTests.Training;

public class BprTrainerTests
{
    private static BprOptions SmallOptions(int? threads = null) => new()
    {
        Factors = 16,
        Epochs = 60,
        LearningRate = 0.05f,
        Regularization = 0.01f,
        InitStd = 0.1f,
        BatchSize = 32,
        MaxDegreeOfParallelism = threads,
    };

    [Fact]
    public void BeatsPopularityOnClusteredFeedback()
    {
        var (train, test) = ClusteredFeedback.Generate();
        var popularity = ClusteredFeedback.NdcgAt10(new PopularityTrainer().Train(train), train, test);
        var bpr = ClusteredFeedback.NdcgAt10(new BprTrainer(SmallOptions()).Train(train), train, test);

        Assert.True(bpr > popularity + 0.2, $"BPR nDCG@10 {bpr:F3} should clearly beat popularity {popularity:F3}.");
        Assert.True(bpr > 0.55, $"BPR nDCG@10 {bpr:F3} should find each user's block.");
    }

    [Fact]
    public void SameSeedGivesIdenticalWeightsWhateverTheThreadCount()
    {
        var (train, _) = ClusteredFeedback.Generate();
        var single = new BprTrainer(SmallOptions(threads: 1)).Train(train);
        var parallel = new BprTrainer(SmallOptions(threads: 4)).Train(train);
        var again = new BprTrainer(SmallOptions(threads: 4)).Train(train);
        var otherSeed = new BprTrainer(SmallOptions(threads: 4) with { Seed = 43 }).Train(train);

        Assert.Equal(ClusteredFeedback.WeightsChecksum(single), ClusteredFeedback.WeightsChecksum(parallel));
        Assert.Equal(ClusteredFeedback.WeightsChecksum(parallel), ClusteredFeedback.WeightsChecksum(again));
        Assert.NotEqual(ClusteredFeedback.WeightsChecksum(parallel), ClusteredFeedback.WeightsChecksum(otherSeed));
    }

    [Fact]
    public void ModelHasBprShapeAndRecordsHyperParameters()
    {
        var (train, _) = ClusteredFeedback.Generate();
        var options = SmallOptions() with { Epochs = 2 };
        var model = new BprTrainer(options).Train(train);

        Assert.Equal(ModelKind.Bpr, model.Kind);
        Assert.Equal(options.Factors, model.Dimension);
        Assert.Equal(train.UserCount, model.UserCount);
        Assert.Equal(train.ItemCount, model.ItemCount);
        Assert.Equal(options.Regularization, model.Parameters["reg"], 6);
        Assert.Equal(options.Factors, model.Parameters["factors"]);
        Assert.Contains(model.ItemBias, b => b != 0);
        Assert.All(model.UserBias, b => Assert.Equal(0f, b));
        var expected = model.ItemBias[3] + System.Numerics.Tensors.TensorPrimitives.Dot<float>(model.UserVector(5), model.ItemVector(3));
        Assert.Equal(expected, model.Score(5, 3), 5);
    }

    [Fact]
    public void WithoutItemBiasTheBiasesStayZero()
    {
        var (train, _) = ClusteredFeedback.Generate();
        var model = new BprTrainer(SmallOptions() with { Epochs = 3, UseItemBias = false }).Train(train);
        Assert.All(model.ItemBias, b => Assert.Equal(0f, b));
        Assert.Equal(0, model.Parameters["item_bias"]);
    }

    [Fact]
    public void ReportsEveryEpochWithFallingLoss()
    {
        var (train, _) = ClusteredFeedback.Generate();
        var reports = new List<TrainingProgress>();
        new BprTrainer(SmallOptions() with { Epochs = 20 }).Train(train, new CollectingProgress(reports));

        Assert.Equal(Enumerable.Range(1, 20), reports.Select(r => r.Epoch));
        Assert.True(reports[^1].Loss < reports[0].Loss * 0.8, $"Loss went from {reports[0].Loss:F4} to {reports[^1].Loss:F4}.");
    }

    [Fact]
    public void HonoursCancellation()
    {
        var (train, _) = ClusteredFeedback.Generate();
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => new BprTrainer(SmallOptions()).Train(train, null, cancellation.Token));
    }
}

/// <summary>Records reports synchronously (Progress&lt;T&gt; would post them to the thread pool).</summary>
internal sealed class CollectingProgress(List<TrainingProgress> reports) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => reports.Add(value);
}
