using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.UnitTests.Training;

public class AugmentedTrainingTests
{
    private const int ItemCount = 48;

    private static BprOptions Bpr(int? threads = null) => new()
    {
        Factors = 16,
        Epochs = 60,
        LearningRate = 0.05f,
        Regularization = 0.01f,
        InitStd = 0.1f,
        BatchSize = 32,
        MaxDegreeOfParallelism = threads,
    };

    private static LightGcnOptions LightGcn(int? threads = null) => new()
    {
        Factors = 16,
        Layers = 2,
        LearningRate = 0.01f,
        BatchSize = 64,
        Epochs = 30,
        ValidationFraction = 0,
        MaxDegreeOfParallelism = threads,
    };

    // An item in another cluster's block (ClusteredFeedback gives each cluster 12 consecutive items).
    private static int Elsewhere(int item) => (item + 2 * ClusteredFeedback.ItemsPerBlock) % ItemCount;

    // What a well-informed LLM would say: each held-out item is liked over an item of the same block the user never
    // chose, which the interactions alone cannot tell apart from the held-out one.
    private static BprTriple[] Informed(RatingsDataset train, Interaction[] test)
    {
        var owned = train.Interactions.Concat(test).Select(x => (x.User, x.Item)).ToHashSet();
        return [.. test.Select(x =>
        {
            var blockStart = x.Item / ClusteredFeedback.ItemsPerBlock * ClusteredFeedback.ItemsPerBlock;
            var unchosen = Enumerable.Range(blockStart, ClusteredFeedback.ItemsPerBlock).First(i => !owned.Contains((x.User, i)));
            return new BprTriple(x.User, x.Item, unchosen);
        })];
    }

    // Confident nonsense that contradicts the user's history: an item of another block over the held-out one.
    private static BprTriple[] Contradicting(Interaction[] test) => [.. test.Select(x => new BprTriple(x.User, Elsewhere(x.Item), x.Item))];

    [Fact]
    public void Without_triples_training_is_exactly_the_plain_trainers()
    {
        var (train, _) = ClusteredFeedback.Generate();
        var empty = new BprAugmentation([]);
        var rateZero = new BprAugmentation([new BprTriple(0, 1, 2)]) { SampleRate = 0 };

        var plainBpr = new BprTrainer(Bpr()).Train(train);
        Assert.Equal(ClusteredFeedback.WeightsChecksum(plainBpr), ClusteredFeedback.WeightsChecksum(new BprTrainer(Bpr() with { Augmentation = empty }).Train(train)));
        Assert.Equal(ClusteredFeedback.WeightsChecksum(plainBpr), ClusteredFeedback.WeightsChecksum(new BprTrainer(Bpr() with { Augmentation = rateZero }).Train(train)));
        Assert.DoesNotContain(plainBpr.Parameters.Keys, k => k.StartsWith("aug.", StringComparison.Ordinal));

        var plainGcn = new LightGcnTrainer(LightGcn()).Train(train);
        var emptyGcn = new LightGcnTrainer(LightGcn() with { Augmentation = empty }).Train(train);
        Assert.Equal(ClusteredFeedback.WeightsChecksum(plainGcn), ClusteredFeedback.WeightsChecksum(emptyGcn));
        Assert.DoesNotContain(emptyGcn.Parameters.Keys, k => k.StartsWith("aug.", StringComparison.Ordinal));
    }

    [Fact]
    public void Augmented_training_is_deterministic_whatever_the_thread_count_and_records_its_settings()
    {
        var (train, test) = ClusteredFeedback.Generate();
        var augmentation = new BprAugmentation(Informed(train, test)) { SampleRate = 0.25, PruneFraction = 0.2 };

        var single = new BprTrainer(Bpr(threads: 1) with { Augmentation = augmentation }).Train(train);
        var parallel = new BprTrainer(Bpr(threads: 4) with { Augmentation = augmentation }).Train(train);
        var plain = new BprTrainer(Bpr(threads: 4)).Train(train);
        Assert.Equal(ClusteredFeedback.WeightsChecksum(single), ClusteredFeedback.WeightsChecksum(parallel));
        Assert.NotEqual(ClusteredFeedback.WeightsChecksum(plain), ClusteredFeedback.WeightsChecksum(parallel));
        Assert.Equal(test.Length, parallel.Parameters["aug.triples"]);
        Assert.Equal(0.25, parallel.Parameters["aug.sample_rate"]);
        Assert.Equal(0.2, parallel.Parameters["aug.prune"]);

        var gcnSingle = new LightGcnTrainer(LightGcn(threads: 1) with { Augmentation = augmentation }).Train(train);
        var gcnParallel = new LightGcnTrainer(LightGcn(threads: 4) with { Augmentation = augmentation }).Train(train);
        Assert.Equal(ClusteredFeedback.WeightsChecksum(gcnSingle), ClusteredFeedback.WeightsChecksum(gcnParallel));
        Assert.Equal(test.Length, gcnParallel.Parameters["aug.triples"]);
    }

    [Fact]
    public void Informed_triples_lift_the_held_out_items_for_both_trainers()
    {
        var (train, test) = ClusteredFeedback.Generate();
        var augmentation = new BprAugmentation(Informed(train, test)) { SampleRate = 0.5 };

        var bprPlain = ClusteredFeedback.NdcgAt10(new BprTrainer(Bpr()).Train(train), train, test);
        var bprAugmented = ClusteredFeedback.NdcgAt10(new BprTrainer(Bpr() with { Augmentation = augmentation }).Train(train), train, test);
        Assert.True(bprAugmented > bprPlain + 0.05, $"BPR nDCG@10 {bprAugmented:F3} with informed triples should beat {bprPlain:F3} without.");

        var gcnPlain = ClusteredFeedback.NdcgAt10(new LightGcnTrainer(LightGcn()).Train(train), train, test);
        var gcnAugmented = ClusteredFeedback.NdcgAt10(new LightGcnTrainer(LightGcn() with { Augmentation = augmentation }).Train(train), train, test);
        Assert.True(gcnAugmented > gcnPlain + 0.03, $"LightGCN nDCG@10 {gcnAugmented:F3} with informed triples should beat {gcnPlain:F3} without.");
    }

    [Fact]
    public void Pruning_the_largest_losses_discards_triples_that_contradict_the_data()
    {
        var (train, test) = ClusteredFeedback.Generate();
        // Half informed, half contradicting: pruning should drop mostly the contradicting ones, which the model (having
        // learnt the blocks from the data) finds implausible.
        var mixed = Informed(train, test).Concat(Contradicting(test)).ToArray();
        var unpruned = new BprAugmentation(mixed) { SampleRate = 0.5 };
        var pruned = unpruned with { PruneFraction = 0.5 };

        var without = ClusteredFeedback.NdcgAt10(new BprTrainer(Bpr() with { Augmentation = unpruned }).Train(train), train, test);
        var with = ClusteredFeedback.NdcgAt10(new BprTrainer(Bpr() with { Augmentation = pruned }).Train(train), train, test);

        Assert.True(with > without + 0.05, $"Pruned nDCG@10 {with:F3} should beat unpruned {without:F3}.");
    }

    [Theory]
    [InlineData(0.0, 10)]
    [InlineData(0.3, 7)]
    [InlineData(0.5, 5)]
    [InlineData(0.95, 0)]
    public void A_batch_keeps_exactly_its_lowest_loss_augmented_samples_in_draw_order(double prune, int expectedKept)
    {
        // Loss of a triple = its positive item's index, so the kept set is easy to predict.
        var triples = Enumerable.Range(0, 12).Select(i => new BprTriple(i % 3, i, 20 + i)).ToArray();
        var augmentation = new BprAugmentation(triples) { SampleRate = 0.5, PruneFraction = prune };
        var batch = new AugmentedBatch(augmentation, batchSize: 20, seed: 5);
        Assert.Equal(10, batch.PerBatch);
        const int offset = 3;
        var users = new int[offset + 10];
        var positives = new int[offset + 10];
        var negatives = new int[offset + 10];
        users[0] = positives[0] = negatives[0] = -7;
        var drawn = new List<BprTriple>();

        var kept = batch.Fill(epoch: 2, batch: 4, offset, users, positives, negatives, (u, i, j) =>
        {
            drawn.Add(new BprTriple(u, i, j));
            return i;
        });

        Assert.Equal(expectedKept, kept);
        Assert.Equal(-7, users[0]);
        var result = Enumerable.Range(offset, kept).Select(s => new BprTriple(users[s], positives[s], negatives[s])).ToArray();
        if (prune == 0)
        {
            // Nothing to prune: no loss is computed at all.
            Assert.Empty(drawn);
            return;
        }
        Assert.Equal(10, drawn.Count);
        var expected = drawn.Select((t, index) => (t, index)).OrderBy(p => p.t.Positive).ThenBy(p => p.index).Take(expectedKept)
            .OrderBy(p => p.index).Select(p => p.t).ToArray();
        Assert.Equal(expected, result);
        if (kept > 0)
        {
            var dropped = drawn.Select(t => t.Positive).Order().Skip(kept);
            Assert.All(dropped, loss => Assert.True(loss >= result.Max(t => t.Positive)));
        }
    }

    [Fact]
    public void The_same_batch_draws_the_same_triples_and_other_batches_other_ones()
    {
        var triples = Enumerable.Range(0, 50).Select(i => new BprTriple(0, i, i + 50)).ToArray();
        var batch = new AugmentedBatch(new BprAugmentation(triples) { SampleRate = 1 }, batchSize: 8, seed: 9);
        int[] Draw(int epoch, int b)
        {
            var users = new int[8];
            var positives = new int[8];
            var negatives = new int[8];
            batch.Fill(epoch, b, 0, users, positives, negatives, (_, _, _) => 0);
            return positives;
        }

        Assert.Equal(Draw(1, 0), Draw(1, 0));
        Assert.NotEqual(Draw(1, 0), Draw(1, 1));
        Assert.NotEqual(Draw(1, 0), Draw(2, 0));
    }

    [Fact]
    public void Triples_outside_the_data_set_or_with_one_item_twice_are_refused()
    {
        var (train, _) = ClusteredFeedback.Generate();
        var outside = new BprAugmentation([new BprTriple(0, ItemCount, 1)]);
        var same = new BprAugmentation([new BprTriple(0, 3, 3)]);

        Assert.Throws<ArgumentException>(() => new BprTrainer(Bpr() with { Epochs = 1, Augmentation = outside }).Train(train));
        Assert.Throws<ArgumentException>(() => new LightGcnTrainer(LightGcn() with { Epochs = 1, Augmentation = same }).Train(train));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BprTrainer(Bpr() with { Epochs = 1, Augmentation = new BprAugmentation([]) { PruneFraction = 1 } }).Train(train));
    }

    [Fact]
    public void The_catalogue_passes_augmentation_to_the_pairwise_trainers()
    {
        var augmentation = new BprAugmentation([new BprTriple(0, 1, 2)]) { SampleRate = 0.2 };
        var settings = new TrainerSettings { Augmentation = augmentation };

        Assert.Same(augmentation, ((BprTrainer)ModelTrainers.Create(ModelKind.Bpr, settings)).Options.Augmentation);
        Assert.Same(augmentation, ((LightGcnTrainer)ModelTrainers.Create(ModelKind.LightGcn, settings)).Options.Augmentation);
    }
}
