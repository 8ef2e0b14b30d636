using System.Numerics.Tensors;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.UnitTests.Training;

/// <summary>
/// Issue 11's linear-scaling training: the register-blocked sparse kernel against the per-neighbour loop it replaced,
/// the automatic LightGCN batch (an epoch is a fixed number of full-graph steps), and that large batches with a
/// scaled learning rate keep the accuracy of the small batches they replace.
/// </summary>
public class LinearScalingTests
{
    private static InteractionMatrix SkewedGraph(int users, int items, int interactions, int seed)
    {
        var rng = new Random(seed);
        var list = new List<Interaction>();
        for (var k = 0; k < interactions; k++)
        {
            // Squaring a uniform draw piles edges on low ids: a few heavy rows, as in click data.
            var u = (int)(users * Math.Pow(rng.NextDouble(), 2));
            var i = (int)(items * Math.Pow(rng.NextDouble(), 2));
            list.Add(new Interaction(u, i, 1f, k));
        }
        return InteractionMatrix.Build(users, items, list);
    }

    [Theory]
    [InlineData(128)]
    [InlineData(64)]
    [InlineData(72)]
    [InlineData(5)]
    public void Sparse_product_on_any_thread_count_equals_the_per_neighbour_loop_bit_for_bit(int dimension)
    {
        var adjacency = NormalizedAdjacency.FromInteractions(SkewedGraph(300, 200, 4000, seed: 3));
        var rows = adjacency.NodeCount;
        var x = new float[rows * dimension];
        SplitMixRandom.ForStream(5).FillGaussian(x, 1.0);

        // The loop this kernel replaced: one MultiplyAdd per neighbour into the cleared row.
        var reference = new float[x.Length];
        var exact = new double[x.Length];
        for (var row = 0; row < rows; row++)
        {
            var target = reference.AsSpan(row * dimension, dimension);
            for (var k = adjacency.RowOffsets[row]; k < adjacency.RowOffsets[row + 1]; k++)
            {
                TensorPrimitives.MultiplyAdd(x.AsSpan(adjacency.Columns[k] * dimension, dimension), adjacency.Values[k], target, target);
                for (var c = 0; c < dimension; c++) exact[row * dimension + c] += (double)adjacency.Values[k] * x[adjacency.Columns[k] * dimension + c];
            }
        }
        var single = new float[x.Length];
        var parallel = new float[x.Length];
        adjacency.Multiply(x, single, dimension, new ParallelOptions { MaxDegreeOfParallelism = 1 });
        adjacency.Multiply(x, parallel, dimension, new ParallelOptions { MaxDegreeOfParallelism = 4 });

        Assert.Equal(reference, single);
        Assert.Equal(single, parallel);
        for (var k = 0; k < x.Length; k++) Assert.True(Math.Abs(single[k] - exact[k]) <= 1e-5 * (1 + Math.Abs(exact[k])), $"element {k}: {single[k]} vs {exact[k]}");
    }

    [Fact]
    public void The_automatic_batch_makes_an_epoch_a_fixed_number_of_steps()
    {
        var options = new LightGcnOptions();
        Assert.Null(options.BatchSize);
        // Small data keeps the batch the learning rate was tuned at.
        Assert.Equal(2048, options.BatchSizeFor(30_000));
        Assert.Equal(options.LearningRate, options.LearningRateFor(2048));
        foreach (var pairs in new[] { 100_000, 250_000, 500_000, 1_000_000, 10_000_000 })
        {
            var batch = options.BatchSizeFor(pairs);
            Assert.Equal(options.StepsPerEpoch, (pairs + batch - 1) / batch);
        }
        Assert.Equal(62_500, options.BatchSizeFor(1_000_000));
        // √(8192 / 2048) = 2.
        Assert.Equal(2 * options.LearningRate, options.LearningRateFor(8192), 12);
        Assert.Equal(options.LearningRate, (options with { ScaleLearningRate = false }).LearningRateFor(8192));
        // A given batch is used as given.
        Assert.Equal(4096, (options with { BatchSize = 4096 }).BatchSizeFor(1_000_000));
        Assert.Equal(256, new BprOptions().BatchSizeFor(1_000_000));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void A_batch_size_below_one_is_refused_by_name(int batch)
    {
        var (train, _) = ClusteredFeedback.Generate();
        var lightGcn = Assert.Throws<ArgumentOutOfRangeException>(() => new LightGcnTrainer(new LightGcnOptions { BatchSize = batch, Epochs = 1 }).Train(train));
        var bpr = Assert.Throws<ArgumentOutOfRangeException>(() => new BprTrainer(new BprOptions { BatchSize = batch, Epochs = 1 }).Train(train));
        Assert.Equal(nameof(PairwiseTrainerOptions.BatchSize), lightGcn.ParamName);
        Assert.Equal(nameof(PairwiseTrainerOptions.BatchSize), bpr.ParamName);
    }

    /// <summary>
    /// The accuracy test of the large-batch path, at a fifth of ml-100k's size so it stays a unit test: the old
    /// path (a fixed small batch, ~80 steps per epoch) against the automatic one (16 steps per epoch, a 5× batch, the
    /// rate scaled by √5), the same epochs, seed and split. Tolerance: 0.02 NDCG@20 below the old path.
    /// </summary>
    [Fact]
    public void Large_batches_with_a_scaled_rate_keep_the_accuracy_of_small_batches()
    {
        var data = SyntheticCatalogue.Generate(new SyntheticCatalogueOptions { UserCount = 400, ItemCount = 600, MeanInteractionsPerUser = 50, Seed = 11 });
        var split = Splits.Stratified(data.Interactions, 0.8, StratifyBy.User, seed: 3);
        var train = data.WithInteractions(split.Train);
        var small = new LightGcnOptions
        {
            Factors = 32, Layers = 2, Epochs = 40, ValidationFraction = 0, LearningRate = 0.005, ReferenceBatchSize = 200,
        };
        var before = small with { BatchSize = 200 };
        var pairs = train.ToMatrix().NonZeroCount;
        Assert.InRange(pairs / small.BatchSizeFor(pairs), 15, 16);

        var ndcgBefore = Ndcg20(new LightGcnTrainer(before).Train(train), train, split.Test);
        var ndcgAfter = Ndcg20(new LightGcnTrainer(small).Train(train), train, split.Test);

        Assert.True(ndcgAfter >= ndcgBefore - 0.02, $"large batches NDCG@20 {ndcgAfter:F4}, small batches {ndcgBefore:F4}");
        Assert.True(ndcgBefore > 0.1, $"the small-batch run should learn something: NDCG@20 {ndcgBefore:F4}");
    }

    private static double Ndcg20(EmbeddingModel model, RatingsDataset train, Interaction[] test) =>
        RankingEvaluator.Evaluate(model, train.ToMatrix(), test, new RankingEvaluationOptions { Ks = [20] }).ByK[20].Ndcg;
}
