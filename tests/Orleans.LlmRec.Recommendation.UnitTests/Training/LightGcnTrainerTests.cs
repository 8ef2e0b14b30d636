using System.Numerics.Tensors;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.UnitTests.Training;

public class LightGcnTrainerTests
{
    private static LightGcnOptions SmallOptions(int? threads = null) => new()
    {
        Factors = 16,
        Layers = 2,
        LearningRate = 0.01f,
        BatchSize = 64,
        Epochs = 40,
        ValidationFraction = 0,
        MaxDegreeOfParallelism = threads,
    };

    private static readonly ParallelOptions Serial = new() { MaxDegreeOfParallelism = 1 };

    [Fact]
    public void BeatsPopularityOnClusteredFeedback()
    {
        var (train, test) = ClusteredFeedback.Generate();
        var popularity = ClusteredFeedback.NdcgAt10(new PopularityTrainer().Train(train), train, test);
        var lightGcn = ClusteredFeedback.NdcgAt10(new LightGcnTrainer(SmallOptions()).Train(train), train, test);

        Assert.True(lightGcn > popularity + 0.2, $"LightGCN nDCG@10 {lightGcn:F3} should clearly beat popularity {popularity:F3}.");
        Assert.True(lightGcn > 0.55, $"LightGCN nDCG@10 {lightGcn:F3} should find each user's block.");
    }

    [Fact]
    public void SameSeedGivesIdenticalWeightsWhateverTheThreadCount()
    {
        var (train, _) = ClusteredFeedback.Generate();
        // Early stopping on, so the validation carve-out, evaluation and refit are covered too.
        var options = SmallOptions() with { Epochs = 12, ValidationFraction = 0.2, ValidateEvery = 2, Patience = 2 };
        var single = new LightGcnTrainer(options with { MaxDegreeOfParallelism = 1 }).Train(train);
        var parallel = new LightGcnTrainer(options with { MaxDegreeOfParallelism = 4 }).Train(train);
        var otherSeed = new LightGcnTrainer(options with { MaxDegreeOfParallelism = 4, Seed = 43 }).Train(train);

        Assert.Equal(ClusteredFeedback.WeightsChecksum(single), ClusteredFeedback.WeightsChecksum(parallel));
        Assert.Equal(single.Parameters["epochs"], parallel.Parameters["epochs"]);
        Assert.NotEqual(ClusteredFeedback.WeightsChecksum(parallel), ClusteredFeedback.WeightsChecksum(otherSeed));
    }

    [Fact]
    public void NormalisedAdjacencyOfTwoUsersAndThreeItems()
    {
        // u0–i0, u0–i1, u1–i1, u1–i2: deg(u0)=deg(u1)=2, deg(i0)=deg(i2)=1, deg(i1)=2.
        var matrix = InteractionMatrix.Build(2, 3, [new(0, 0, 1, 0), new(0, 1, 1, 0), new(1, 1, 1, 0), new(1, 2, 1, 0)]);
        var adjacency = NormalizedAdjacency.FromInteractions(matrix);
        var h = 1 / MathF.Sqrt(2);
        float[,] expected =
        {
            //        u0  u1  i0   i1    i2
            /* u0 */ { 0, 0, h, 0.5f, 0 },
            /* u1 */ { 0, 0, 0, 0.5f, h },
            /* i0 */ { h, 0, 0, 0, 0 },
            /* i1 */ { 0.5f, 0.5f, 0, 0, 0 },
            /* i2 */ { 0, h, 0, 0, 0 },
        };
        Assert.Equal(5, adjacency.NodeCount);
        for (var r = 0; r < 5; r++)
        {
            for (var c = 0; c < 5; c++) Assert.Equal(expected[r, c], adjacency[r, c], 6);
        }

        // One propagation of a one-column signal is the matrix–vector product.
        float[] x = [1, 2, 3, 4, 5];
        var y = new float[5];
        adjacency.Multiply(x, y, 1, Serial);
        for (var r = 0; r < 5; r++)
        {
            var dot = 0f;
            for (var c = 0; c < 5; c++) dot += expected[r, c] * x[c];
            Assert.Equal(dot, y[r], 5);
        }
    }

    [Fact]
    public void PropagationBackwardMatchesNumericalGradient()
    {
        var (adjacency, d) = (TinyGraph(), 3);
        var length = adjacency.NodeCount * d;
        var rng = new Random(3);
        var ego = RandomVector(rng, length, 1);
        var weights = RandomVector(rng, length, 1);
        const int layers = 3;
        var (scratchA, scratchB, output) = (new float[length], new float[length], new float[length]);
        // f(E⁰) = Σ W ⊙ mean-of-layers(E⁰); its analytic gradient is the backward pass applied to W.
        double F(float[] e)
        {
            adjacency.PropagateMean(e, output, d, layers, scratchA, scratchB, Serial);
            return TensorPrimitives.Dot<float>(weights, output);
        }
        var analytic = new float[length];
        adjacency.PropagateMean(weights, analytic, d, layers, new float[length], new float[length], Serial);
        AssertMatchesNumerical(ego, F, analytic);
    }

    [Fact]
    public void BatchLossGradientMatchesNumericalGradient()
    {
        var adjacency = TinyGraph();
        const int d = 4;
        var length = adjacency.NodeCount * d;
        var ego = RandomVector(new Random(5), length, 0.6);
        int[] users = [0, 1, 2, 0];
        int[] positives = [0, 1, 3, 2];
        int[] negatives = [3, 2, 0, 1];
        const float decay = 0.05f;
        var step = new LightGcnGradient(adjacency, d, layers: 2, maxBatch: 8, Serial);
        double F(float[] e)
        {
            step.Forward(e);
            return step.LossAndGradient(e, users, positives, negatives, decay);
        }
        F(ego);
        var analytic = (float[])step.EgoGradient.Clone();
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-3);
        AssertMatchesNumerical(ego, F, analytic);
    }

    [Fact]
    public void ModelServesMeanOfLayersAndKeepsEgoEmbeddings()
    {
        var (train, _) = ClusteredFeedback.Generate();
        var options = SmallOptions() with { Epochs = 3, Layers = 3 };
        var model = new LightGcnTrainer(options).Train(train);

        Assert.Equal(ModelKind.LightGcn, model.Kind);
        Assert.Equal(3, model.Parameters["lightgcn.layers"]);
        Assert.Equal(options.Regularization, model.Parameters["reg"], 6);
        var userEgo = model.Extras[LightGcnTrainer.UserEgoExtra];
        var itemEgo = model.Extras[LightGcnTrainer.ItemEgoExtra];
        Assert.Equal(model.UserVectors.Length, userEgo.Length);
        Assert.Equal(model.ItemVectors.Length, itemEgo.Length);

        // The served vectors are the layer mean of the ego embeddings over the training graph.
        var adjacency = NormalizedAdjacency.FromInteractions(train.ToMatrix());
        var d = model.Dimension;
        var ego = userEgo.Concat(itemEgo).ToArray();
        var final = new float[ego.Length];
        adjacency.PropagateMean(ego, final, d, 3, new float[ego.Length], new float[ego.Length], Serial);
        for (var k = 0; k < model.UserVectors.Length; k++) Assert.Equal(final[k], model.UserVectors[k], 5);
        for (var k = 0; k < model.ItemVectors.Length; k++) Assert.Equal(final[model.UserVectors.Length + k], model.ItemVectors[k], 5);

        // Score is exactly dot(final user, final item): no biases.
        for (var u = 0; u < model.UserCount; u += 7)
        {
            for (var i = 0; i < model.ItemCount; i += 5)
            {
                Assert.Equal(TensorPrimitives.Dot<float>(model.UserVector(u), model.ItemVector(i)), model.Score(u, i), 6);
            }
        }
    }

    [Fact]
    public void EarlyStoppingValidatesOnACarvedSplitAndRefits()
    {
        var (train, _) = ClusteredFeedback.Generate();
        var reports = new List<TrainingProgress>();
        var options = SmallOptions() with { Epochs = 30, ValidationFraction = 0.2, ValidateEvery = 3, Patience = 2 };
        var model = new LightGcnTrainer(options).Train(train, new CollectingProgress(reports));

        var validated = reports.Where(r => r.Validation is not null).ToList();
        Assert.NotEmpty(validated);
        Assert.All(validated, r => Assert.InRange(r.Validation!.Value, 0, 1));
        var bestEpoch = (int)model.Parameters["epochs"];
        Assert.InRange(bestEpoch, 1, options.Epochs);
        Assert.Equal(validated.Max(r => r.Validation!.Value), model.Parameters["validation.ndcg@20"], 9);
        var refit = reports.Where(r => r.Note is not null).ToList();
        Assert.Equal(bestEpoch, refit.Count);
        Assert.Equal(1, model.Parameters["lightgcn.refit"]);
    }

    [Fact]
    public void ReportsWithinAnEpochWithoutCountingThoseReportsAsEpochs()
    {
        var (train, _) = ClusteredFeedback.Generate();
        var reports = new List<TrainingProgress>();
        var options = SmallOptions() with { Epochs = 3, ValidationFraction = 0, BatchSize = 64 };
        new LightGcnTrainer(options).Train(train, new CollectingProgress(reports));

        var withinEpochs = reports.Where(r => r.Batch > 0).ToList();
        Assert.NotEmpty(withinEpochs);
        Assert.All(withinEpochs, r => Assert.InRange(r.Batch, 1, r.BatchesPerEpoch - 1));
        Assert.Equal([1, 2, 3], reports.Where(r => r.Batch == 0).Select(r => r.Epoch));
        // Within an epoch the batches only go forward.
        Assert.All(withinEpochs.GroupBy(r => r.Epoch), g => Assert.Equal(g.Select(r => r.Batch).Order(), g.Select(r => r.Batch)));
    }

    [Fact]
    public void HonoursCancellation()
    {
        var (train, _) = ClusteredFeedback.Generate();
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => new LightGcnTrainer(SmallOptions()).Train(train, null, cancellation.Token));
    }

    // 3 users, 4 items, uneven degrees so the normalisation matters.
    private static NormalizedAdjacency TinyGraph() => NormalizedAdjacency.FromInteractions(InteractionMatrix.Build(3, 4,
        [new(0, 0, 1, 0), new(0, 1, 1, 0), new(0, 2, 1, 0), new(1, 1, 1, 0), new(1, 3, 1, 0), new(2, 2, 1, 0), new(2, 3, 1, 0)]));

    private static float[] RandomVector(Random rng, int length, double scale) =>
        Enumerable.Range(0, length).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();

    private static void AssertMatchesNumerical(float[] point, Func<float[], double> f, float[] analytic)
    {
        const float h = 1e-2f;
        for (var k = 0; k < point.Length; k++)
        {
            var original = point[k];
            point[k] = original + h;
            var plus = f(point);
            point[k] = original - h;
            var minus = f(point);
            point[k] = original;
            var numerical = (plus - minus) / (2 * h);
            Assert.True(Math.Abs(numerical - analytic[k]) <= 1e-3 + 1e-2 * Math.Abs(analytic[k]),
                $"Coordinate {k}: numerical {numerical:G6}, analytic {analytic[k]:G6}.");
        }
    }
}
