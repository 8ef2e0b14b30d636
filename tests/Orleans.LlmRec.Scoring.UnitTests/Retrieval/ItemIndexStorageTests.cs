using Orleans.LlmRec.Scoring.Retrieval;

namespace Orleans.LlmRec.Scoring.UnitTests.Retrieval;

/// <summary>
/// Quantized storage (16- and 8-bit values), saving and loading an index, and the search expansion chosen by catalogue
/// size. The graph is built on several threads, so these assert recall, never exact lists.
/// </summary>
public sealed class ItemIndexStorageTests
{
    private const int Dimension = 64;
    private const int Pool = 100;

    [Theory]
    [InlineData(ItemIndexQuantization.Float32)]
    [InlineData(ItemIndexQuantization.Float16)]
    [InlineData(ItemIndexQuantization.BFloat16)]
    [InlineData(ItemIndexQuantization.Int8)]
    public void Quantized_storage_keeps_recall_at_100_as_served_near_full(ItemIndexQuantization quantization)
    {
        var data = new ClusteredVectors(itemCount: 6_000, Dimension, seed: 31);
        using var index = ItemVectorIndex.Build(data.Vectors, data.Biases, data.ItemCount, Dimension, new ItemIndexOptions { Quantization = quantization, BuildThreads = 1 });

        Assert.True(RecallAsServed(data, index, users: 40) >= 0.97, $"{quantization}: recall@100 as served {RecallAsServed(data, index, 40):0.000}");
    }

    [Theory]
    [InlineData(ItemIndexQuantization.Float32)]
    [InlineData(ItemIndexQuantization.Int8)]
    public void Items_added_beyond_the_built_norms_rank_by_their_score_among_the_graphs(ItemIndexQuantization quantization)
    {
        var data = new ClusteredVectors(itemCount: 2_000, Dimension, seed: 33);
        using var index = ItemVectorIndex.Build(data.Vectors, data.Biases, data.ItemCount, Dimension, new ItemIndexOptions { Quantization = quantization, BuildThreads = 1 });
        var user = data.User();
        // Both far outside the built norms, so scored beside the graph and merged by score with the graph's results:
        // one beats every item, the other loses to every item, and neither may take the other's place.
        var unit = user.Select(x => x / MathF.Sqrt(user.Sum(v => v * v))).ToArray();
        index.Add(9_000, [.. unit.Select(x => x * 40f)], 0f);
        index.Add(9_001, [.. unit.Select(x => x * -40f)], 0f);

        var found = index.Search(user, 50);
        Assert.Equal(9_000, found[0]);
        Assert.DoesNotContain(9_001, found);
        Assert.True(found.Skip(1).Intersect(data.ExactTop(user, 49)).Count() >= 40);
    }

    [Theory]
    [InlineData(ItemIndexQuantization.Float32)]
    [InlineData(ItemIndexQuantization.Int8)]
    public void A_saved_index_loads_back_with_the_same_items_and_takes_updates(ItemIndexQuantization quantization)
    {
        var data = new ClusteredVectors(itemCount: 3_000, Dimension, seed: 34);
        var options = new ItemIndexOptions { Quantization = quantization, BuildThreads = 1 };
        var path = Path.Combine(Path.GetTempPath(), $"llmrec-index-{Guid.NewGuid():N}.usearch");
        try
        {
            using (var built = ItemVectorIndex.Build(data.Vectors, data.Biases, data.ItemCount, Dimension, options)) built.Save(path);
            using var loaded = ItemVectorIndex.Load(path, data.Vectors, data.Biases, data.ItemCount, Dimension, options);

            Assert.Equal(data.ItemCount, loaded.Count);
            Assert.True(RecallAsServed(data, loaded, users: 20) >= 0.97);
            var user = data.User();
            var first = loaded.Search(user, 1)[0];
            Assert.True(loaded.Remove(first));
            Assert.DoesNotContain(first, loaded.Search(user, 200));
            loaded.Add(first, data.Vector(first), data.Biases[first]);
            Assert.Contains(first, loaded.Search(user, 10));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Loading_refuses_a_file_for_another_item_count()
    {
        var data = new ClusteredVectors(itemCount: 500, Dimension, seed: 35);
        var path = Path.Combine(Path.GetTempPath(), $"llmrec-index-{Guid.NewGuid():N}.usearch");
        try
        {
            using (var built = ItemVectorIndex.Build(data.Vectors, data.Biases, 400, Dimension, new ItemIndexOptions())) built.Save(path);

            Assert.Throws<InvalidDataException>(() => ItemVectorIndex.Load(path, data.Vectors, data.Biases, data.ItemCount, Dimension, new ItemIndexOptions()));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(ItemIndexQuantization.Float32)]
    [InlineData(ItemIndexQuantization.Int8)]
    public void Users_far_longer_than_any_item_keep_recall_as_served(ItemIndexQuantization quantization)
    {
        // 8-bit storage scales queries into [−1, 1] by the items' radius and clamps what lies beyond: users of a model
        // are often longer than its items.
        var data = new ClusteredVectors(itemCount: 4_000, Dimension, seed: 36);
        using var index = ItemVectorIndex.Build(data.Vectors, data.Biases, data.ItemCount, Dimension, new ItemIndexOptions { Quantization = quantization, BuildThreads = 1 });

        Assert.True(RecallAsServed(data, index, users: 30, userLength: 25f) >= 0.97, $"{quantization}: recall@100 as served {RecallAsServed(data, index, 30, 25f):0.000}");
    }

    [Theory]
    [InlineData(ItemIndexQuantization.Float32, 2)]
    [InlineData(ItemIndexQuantization.Int8, 1)]
    public void An_outlier_is_merged_by_score_among_the_graphs_finds_for_a_long_user(ItemIndexQuantization quantization, int highestPlace)
    {
        // Under 8-bit storage the long user's query is shrunk into range (not clamped), and the scores come back from
        // the distances through USearch's cosine model, up to the truncation to integers (about 1 % of a score here:
        // one place higher than with 32-bit storage; before, every outlier was dropped).
        var data = new ClusteredVectors(itemCount: 4_000, Dimension, seed: 36);
        using var index = ItemVectorIndex.Build(data.Vectors, data.Biases, data.ItemCount, Dimension, new ItemIndexOptions { Quantization = quantization, BuildThreads = 1 });
        var user = data.User().Select(x => x * 25f).ToArray();
        var top = data.ExactTop(user, 10);
        // Scored exactly beside the graph, between the exact 4th and 5th items: neither first nor missing.
        var outlier = data.Vector(top[0]).ToArray().Select(x => x * 3f).ToArray();
        var bias = (data.Score(user, top[3]) + data.Score(user, top[4])) / 2f - user.Zip(outlier, (u, v) => u * v).Sum();
        index.Add(9_000, outlier, bias);

        Assert.InRange(Array.IndexOf(index.Search(user, 10), 9_000), highestPlace, 7);
    }

    [Theory]
    [InlineData(ItemIndexQuantization.Int8)]
    [InlineData(ItemIndexQuantization.BFloat16)]
    public void Under_narrow_storage_outliers_that_belong_in_a_long_users_top_are_among_the_candidates(ItemIndexQuantization quantization)
    {
        // Outliers are scored exactly and merged by the scores the graph's distances give back. An 8-bit query used to
        // be clamped into range for a user longer than the items, and then those scores came back far too high: every
        // outlier was dropped. The query is shrunk into range instead (ScoreSpace.WriteQuery).
        var data = new ClusteredVectors(itemCount: 4_000, Dimension, seed: 36);
        using var index = ItemVectorIndex.Build(data.Vectors, data.Biases, data.ItemCount, Dimension, new ItemIndexOptions { Quantization = quantization, BuildThreads = 1 });
        var user = data.User().Select(x => x * 25f).ToArray();
        var top = data.ExactTop(user, 40);
        var scores = new Dictionary<int, float>();
        foreach (var at in new[] { 0, 9, 30 }) scores[9_000 + at] = AddOutlierBetween(index, data, user, top, at, 9_000 + at);
        // One below every item: it may be handed over too, but must not push the graph's best out.
        var bottom = data.ExactTop(user, data.ItemCount)[^2..];
        var belowEvery = AddOutlierBetween(index, data, user, bottom, 0, 9_999);

        var found = index.Search(user, 40);
        var served = found.OrderByDescending(i => scores.TryGetValue(i, out var score) ? score : i == 9_999 ? belowEvery : data.Score(user, i)).Take(10).ToArray();
        Assert.All(scores.Keys, o => Assert.Contains(o, found));
        Assert.Equal([top[0], 9_000, .. top[1..9]], served);
    }

    /// <summary>Adds an item beyond the built norms whose exact score for <paramref name="user"/> lies between <c>top[at]</c> and <c>top[at + 1]</c>; returns that score.</summary>
    private static float AddOutlierBetween(ItemVectorIndex index, ClusteredVectors data, float[] user, int[] top, int at, int item)
    {
        var outlier = data.Vector(top[0]).ToArray().Select(x => x * 3f).ToArray();
        var score = (data.Score(user, top[at]) + data.Score(user, top[at + 1])) / 2f;
        index.Add(item, outlier, score - user.Zip(outlier, (u, v) => u * v).Sum());
        return score;
    }

    /// <summary>The feed's path: 4 × pool candidates from the index, scored exactly, top pool kept, against the exact top pool.</summary>
    private static double RecallAsServed(ClusteredVectors data, ItemVectorIndex index, int users, float userLength = 1f)
    {
        double found = 0;
        for (var q = 0; q < users; q++)
        {
            var user = data.User().Select(x => x * userLength).ToArray();
            var served = index.Search(user, 4 * Pool).OrderByDescending(i => data.Score(user, i)).Take(Pool).ToHashSet();
            found += data.ExactTop(user, Pool).Count(served.Contains);
        }
        return found / (users * Pool);
    }
}
