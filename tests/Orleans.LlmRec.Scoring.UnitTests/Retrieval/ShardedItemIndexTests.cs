using System.ComponentModel.DataAnnotations;
using Orleans.LlmRec.Scoring.Retrieval;

namespace Orleans.LlmRec.Scoring.UnitTests.Retrieval;

/// <summary>
/// <c>ItemIndex:Shards</c>: the items split into several graphs searched at once for one query and merged by distance.
/// Built on one thread with a search wider than a shard, so each graph's search is (nearly) exhaustive and the merge is
/// what is tested.
/// </summary>
public sealed class ShardedItemIndexTests
{
    private const int Dimension = 32;

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void A_sharded_index_finds_the_single_indexs_top_items_in_score_order(int shards)
    {
        var data = new ClusteredVectors(itemCount: 900, Dimension, seed: 41, clusters: 8);
        using var single = Build(data, data.ItemCount, shards: 1);
        using var sharded = Build(data, data.ItemCount, shards);

        Assert.Equal(shards, sharded.ShardCount);
        Assert.Equal(data.ItemCount, sharded.Count);
        for (var q = 0; q < 10; q++)
        {
            var user = data.User();
            var fromShards = sharded.Search(user, 30);
            Assert.Equal(30, fromShards.Length);
            Assert.True(fromShards.Intersect(single.Search(user, 30)).Count() >= 29, "the shards' merged top 30 differs from the single graph's");
            Assert.True(fromShards.Intersect(data.ExactTop(user, 30)).Count() >= 29, "the shards' merged top 30 differs from the exact top 30");
            // Merged by distance across shards: the order is the exact score's (32-bit storage).
            for (var i = 1; i < fromShards.Length; i++)
            {
                Assert.True(data.Score(user, fromShards[i - 1]) >= data.Score(user, fromShards[i]) - 1e-4f, $"items {fromShards[i - 1]} and {fromShards[i]} out of score order");
            }
        }
    }

    [Fact]
    public void Items_added_and_retired_go_to_their_shard_and_leave_every_search()
    {
        var data = new ClusteredVectors(itemCount: 1_200, Dimension, seed: 42, clusters: 8);
        const int trained = 900;
        using var index = Build(data, trained, shards: 3);
        var user = data.User();

        // Added after the build, past the reserved room of no shard in particular: each lands in its own shard.
        for (var i = trained; i < data.ItemCount; i++) index.Add(i, data.Vector(i), data.Biases[i]);
        Assert.Equal(data.ItemCount, index.Count);
        Assert.True(index.Search(user, 20).Intersect(data.ExactTop(user, 20)).Count() >= 19);

        // Retire the current top 6: two from each shard's share of keys at least once over the loop.
        var retired = index.Search(user, 6);
        foreach (var item in retired) Assert.True(index.Remove(item));
        Assert.False(index.Remove(retired[0]));
        var after = index.Search(user, 200);
        Assert.Empty(after.Intersect(retired));
        Assert.True(after.Take(20).Intersect(data.ExactTop(user, 20, i => !retired.Contains(i))).Count() >= 19);

        // Back again, and an item moved to a new vector is found under its key in its shard.
        index.Add(retired[0], data.Vector(retired[0]), data.Biases[retired[0]]);
        Assert.Equal(retired[0], index.Search(user, 1)[0]);
        Assert.Equal(data.ItemCount - retired.Length + 1, index.Count);
    }

    [Fact]
    public void A_saved_sharded_index_loads_back_from_one_file_per_shard()
    {
        var data = new ClusteredVectors(itemCount: 1_000, Dimension, seed: 43, clusters: 8);
        var options = Options(shards: 2);
        var path = Path.Combine(Path.GetTempPath(), $"llmrec-sharded-{Guid.NewGuid():N}.usearch");
        try
        {
            using (var built = ItemVectorIndex.Build(data.Vectors, data.Biases, data.ItemCount, Dimension, options)) built.Save(path);
            Assert.True(File.Exists(ItemVectorIndex.ShardPath(path, 1, 2)));
            using var loaded = ItemVectorIndex.Load(path, data.Vectors, data.Biases, data.ItemCount, Dimension, options);

            Assert.Equal(data.ItemCount, loaded.Count);
            var user = data.User();
            Assert.True(loaded.Search(user, 20).Intersect(data.ExactTop(user, 20)).Count() >= 19);
            Assert.Throws<InvalidDataException>(() => ItemVectorIndex.Load(path, data.Vectors, data.Biases, 900, Dimension, options));
        }
        finally
        {
            foreach (var file in Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(path) + "*")) File.Delete(file);
        }
    }

    [Fact]
    public void A_disposed_sharded_index_refuses_searches()
    {
        var data = new ClusteredVectors(itemCount: 100, Dimension, seed: 44);
        var index = Build(data, data.ItemCount, shards: 2);
        index.Dispose();

        Assert.Throws<ObjectDisposedException>(() => index.Search(data.User(), 5));
    }

    [Fact]
    public void Each_shard_is_asked_for_its_share_of_a_long_search_and_the_merge_still_finds_the_exact_top()
    {
        // 8 shards of ~112 items, a search for 200: each shard is asked for 54 (its share is ~25), not 200.
        Assert.Equal(54, ItemVectorIndex.PerShardCount(200, 8));
        var data = new ClusteredVectors(itemCount: 900, Dimension, seed: 43, clusters: 8);
        using var sharded = Build(data, data.ItemCount, shards: 8);
        for (var q = 0; q < 10; q++)
        {
            var user = data.User();
            var fromShards = sharded.Search(user, 200);
            Assert.Equal(200, fromShards.Length);
            Assert.True(fromShards.Intersect(data.ExactTop(user, 200)).Count() >= 198, "the shards' merged top 200 differs from the exact top 200");
        }
    }

    [Theory]
    [InlineData(450, 1, 450)]
    [InlineData(450, 2, 354)]
    [InlineData(450, 4, 185)]
    [InlineData(30, 2, 30)]
    [InlineData(1, 64, 1)]
    public void A_shard_is_asked_for_one_and_a_half_times_its_share_plus_16_never_more_than_the_search(int count, int shards, int expected)
    {
        Assert.Equal(expected, ItemVectorIndex.PerShardCount(count, shards));
    }

    [Theory]
    [InlineData(499_999, 2, 1)]
    [InlineData(500_000, 2, 2)]
    [InlineData(1_000_000, 1, 1)]
    [InlineData(1_000_000, 16, 2)]
    [InlineData(10_000, 16, 1)]
    public void By_default_two_shards_from_half_a_million_items_on_two_cores(int items, int processors, int expected)
    {
        Assert.Equal(expected, ItemIndexOptions.ShardsFor(items, processors));
    }

    [Fact]
    public void The_expansion_rule_applies_to_one_shards_share_and_a_setting_wins()
    {
        Assert.Equal(500, new ItemIndexOptions { Shards = 2 }.ResolvedExpansionSearch(1_000_000));
        Assert.Equal(1_000, new ItemIndexOptions { Shards = 1 }.ResolvedExpansionSearch(1_000_000));
        Assert.Equal(333, new ItemIndexOptions { Shards = 3 }.ResolvedExpansionSearch(1_000_000));
        Assert.Equal(700, new ItemIndexOptions { Shards = 2, ExpansionSearch = 700 }.ResolvedExpansionSearch(1_000_000));
        Assert.Equal(4, new ItemIndexOptions { Shards = 4 }.ResolvedShards(10));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(64, true)]
    [InlineData(-1, false)]
    [InlineData(65, false)]
    public void Validation_takes_0_to_64_shards(int shards, bool valid)
    {
        var options = new ItemIndexOptions { Shards = shards };
        var results = new List<ValidationResult>();
        Assert.Equal(valid, Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        if (!valid) Assert.Contains(results, r => r.ErrorMessage!.Contains("ItemIndex:Shards", StringComparison.Ordinal));
    }

    private static ItemIndexOptions Options(int shards) =>
        new() { Shards = shards, ExpansionSearch = 1_000, Quantization = ItemIndexQuantization.Float32, BuildThreads = 1 };

    [Fact]
    public void The_benchmarks_hand_off_hook_reports_each_search_in_time_order_and_leaves_results_alone()
    {
        var data = new ClusteredVectors(itemCount: 900, Dimension, seed: 43, clusters: 8);
        using var sharded = Build(data, data.ItemCount, shards: 3);
        var users = Enumerable.Range(0, 20).Select(_ => data.User()).ToArray();
        var unobserved = users.Select(user => sharded.Search(user, 30)).ToArray();
        var reports = new System.Collections.Concurrent.ConcurrentQueue<HandOffTimes>();

        ShardSearch.Observer = reports.Enqueue;
        int[][] observed;
        try
        {
            observed = [.. users.Select(user => sharded.Search(user, 30))];
        }
        finally
        {
            ShardSearch.Observer = null;
        }

        Assert.Equal(unobserved, observed);
        // Searches of other tests running meanwhile may report too.
        Assert.True(reports.Count >= users.Length);
        Assert.All(reports, times =>
        {
            Assert.InRange(times.ShardsOnCaller, 0, 3);
            Assert.True(times.Queued <= times.CallerFinished && times.CallerFinished <= times.CallerResumed);
            Assert.True(times.LastShardFinished <= times.CallerResumed);
            Assert.True(times.PoolStarted == 0 || times.PoolStarted >= times.Queued);
        });
    }

    private static ItemVectorIndex Build(ClusteredVectors data, int count, int shards) =>
        ItemVectorIndex.Build(data.Vectors, data.Biases, count, Dimension, Options(shards));
}
