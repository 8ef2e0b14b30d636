using Microsoft.Extensions.Logging;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Scoring.UnitTests;

public sealed class OnnxScorerTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    public async Task FullCatalogueResultsMatchAFullSortOfTheEmbeddingModel(int dimension)
    {
        var model = TestModels.Random(users: 10, items: 200, dimension, seed: 31 + dimension);
        await using var scorer = OnnxScorer.Load(TestModels.Export(model, _folder.Path));

        for (var user = 0; user < model.UserCount; user++)
        {
            var result = await scorer.ScoreAsync(new ScoringRequest(model.UserVector(user).ToArray(), model.UserBias[user], k: 15));
            AssertMatchesReference(model, user, result, k: 15);
            Assert.Equal("20250101T000000Z-abcdef", result.ModelVersion);
        }
    }

    [Fact]
    public async Task ExcludedItemsAreNeverReturnedAndFewerThanKComeBackWhenFewAreEligible()
    {
        var model = TestModels.Random(users: 2, items: 12, dimension: 3, seed: 2);
        await using var scorer = OnnxScorer.Load(TestModels.Export(model, _folder.Path));
        var excluded = Enumerable.Range(0, 9).ToArray();

        var result = await scorer.ScoreAsync(new ScoringRequest(model.UserVector(1).ToArray(), model.UserBias[1], k: 10) { ExcludedItems = excluded });

        Assert.Equal(3, result.Items.Count);
        Assert.Equal([9, 10, 11], result.Items.Select(i => i.Item).Order());
        AssertMatchesReference(model, 1, result, k: 10, excluded: i => i < 9);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    public async Task CandidateResultsMatchTheEmbeddingModelOverTheCandidates(int dimension)
    {
        var model = TestModels.Random(users: 8, items: 90, dimension, seed: 41 + dimension);
        await using var scorer = OnnxScorer.Load(TestModels.Export(model, _folder.Path));
        Assert.True(scorer.SupportsCandidates);
        var random = new Random(3);
        var requests = new List<(int User, int[] Candidates, int[] Excluded, ScoringRequest Request)>();
        for (var user = 0; user < model.UserCount; user++)
        {
            // Different lengths per user, so the batch pads the short rows.
            var candidates = Enumerable.Range(0, model.ItemCount).OrderBy(_ => random.Next()).Take(5 + user * 3).ToArray();
            var excluded = candidates.Take(2).ToArray();
            requests.Add((user, candidates, excluded,
                new ScoringRequest(model.UserVector(user).ToArray(), model.UserBias[user], k: 4) { Candidates = candidates, ExcludedItems = excluded }));
        }

        var results = await scorer.ScoreBatchAsync([.. requests.Select(r => r.Request)]);

        for (var i = 0; i < requests.Count; i++)
        {
            var (user, candidates, excluded, _) = requests[i];
            var eligible = candidates.Except(excluded).ToArray();
            var scores = eligible.Select(item => model.Score(user, item)).ToArray();
            var expected = TestModels.ReferenceTopK(scores, 4).Select(position => eligible[position]);
            Assert.Equal(expected, results[i].Items.Select(s => s.Item));
            foreach (var scored in results[i].Items)
            {
                var tolerance = TestModels.Tolerance(model, model.UserVector(user), model.UserBias[user], scored.Item);
                Assert.True(Math.Abs(scored.Score - model.Score(user, scored.Item)) <= tolerance);
            }
        }
    }

    [Fact]
    public async Task MicroBatcherGathersConcurrentRequestsAndReturnsEachCallerItsOwnResult()
    {
        var model = TestModels.Random(users: 300, items: 150, dimension: 12, seed: 77);
        var options = new ScorerOptions { MaxBatchSize = 32, MaxBatchWait = TimeSpan.FromMilliseconds(2) };
        await using var scorer = OnnxScorer.Load(TestModels.Export(model, _folder.Path), options);

        // Callers on many threads at once, mixing full-catalogue and candidate requests and different k.
        var tasks = Enumerable.Range(0, model.UserCount).Select(user => Task.Run(async () =>
        {
            var k = 1 + user % 20;
            if (user % 3 == 0)
            {
                int[] candidates = [user % 150, (user + 50) % 150, (user + 100) % 150];
                var candidateResult = await scorer.ScoreAsync(new ScoringRequest(model.UserVector(user).ToArray(), model.UserBias[user], k) { Candidates = candidates });
                var expected = TestModels.ReferenceTopK(candidates.Select(i => model.Score(user, i)).ToArray(), k).Select(p => candidates[p]);
                Assert.Equal(expected, candidateResult.Items.Select(i => i.Item));
                return;
            }
            var result = await scorer.ScoreAsync(new ScoringRequest(model.UserVector(user).ToArray(), model.UserBias[user], k));
            AssertMatchesReference(model, user, result, k);
        })).ToArray();
        await Task.WhenAll(tasks);

        var statistics = scorer.Statistics;
        Assert.Equal(model.UserCount, statistics.Requests);
        Assert.True(statistics.LargestBatch <= 32);
    }

    [Fact]
    public async Task RequestsQueuedTogetherAreScoredInOneRun()
    {
        var model = TestModels.Random(users: 64, items: 40, dimension: 4, seed: 5);
        // A long wait lets the batch fill: it runs as soon as it is full, so the test does not wait for it.
        var options = new ScorerOptions { MaxBatchSize = 64, MaxBatchWait = TimeSpan.FromSeconds(30) };
        await using var scorer = OnnxScorer.Load(TestModels.Export(model, _folder.Path), options);

        var results = await scorer.ScoreBatchAsync(
            [.. Enumerable.Range(0, 64).Select(u => new ScoringRequest(model.UserVector(u).ToArray(), model.UserBias[u], k: 3))]);

        Assert.Equal(new ScorerStatistics(64, 1, 64, 0), scorer.Statistics);
        for (var user = 0; user < 64; user++) AssertMatchesReference(model, user, results[user], k: 3);
    }

    [Fact]
    public async Task InvalidRequestsAreRefusedBeforeTheyReachABatch()
    {
        var model = TestModels.Random(users: 2, items: 10, dimension: 3, seed: 5);
        await using var scorer = OnnxScorer.Load(TestModels.Export(model, _folder.Path));

        var wrongLength = await Assert.ThrowsAsync<ArgumentException>(() => scorer.ScoreAsync(new ScoringRequest(new float[4], 0f, 3)));
        Assert.Contains("dimension 3", wrongLength.Message);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => scorer.ScoreAsync(new ScoringRequest(new float[3], 0f, 3) { ExcludedItems = new[] { 10 } }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => scorer.ScoreAsync(new ScoringRequest(new float[3], 0f, 3) { Candidates = [-1] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ScoringRequest(new float[3], 0f, 0));
        var nan = await Assert.ThrowsAsync<ArgumentException>(() => scorer.ScoreAsync(new ScoringRequest(new[] { 1f, float.NaN, 0f }, 0f, 3)));
        Assert.Contains("finite", nan.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => scorer.ScoreAsync(new ScoringRequest(new float[3], float.PositiveInfinity, 3)));

        var empty = await scorer.ScoreAsync(new ScoringRequest(new float[3], 0f, 3) { Candidates = [] });
        Assert.Empty(empty.Items);
        // The refused requests must not have leaked references that would keep a swapped-out model alive.
        var serving = scorer.CurrentLoadedModel;
        await scorer.SwapAsync(TestModels.Export(model, _folder.Path, "20250202T000000Z-bbbbbb"));
        Assert.True(serving.IsDisposed);
    }

    [Fact]
    public async Task CandidateRequestsAreRefusedWhenTheModelHasNoCandidateGraph()
    {
        var model = TestModels.Random(users: 2, items: 10, dimension: 3, seed: 5);
        var path = TestModels.Export(model, _folder.Path);
        File.Delete(Orleans.LlmRec.Recommendation.Onnx.OnnxContract.CandidatesPathFor(path));
        await using var scorer = OnnxScorer.Load(path);

        Assert.False(scorer.SupportsCandidates);
        await Assert.ThrowsAsync<NotSupportedException>(() => scorer.ScoreAsync(new ScoringRequest(new float[3], 0f, 3) { Candidates = [1] }));
        Assert.Single((await scorer.ScoreAsync(new ScoringRequest(new float[3], 0f, 1))).Items);
    }

    [Fact]
    public async Task ACancelledRequestIsCancelledAndOthersStillComplete()
    {
        var model = TestModels.Random(users: 2, items: 10, dimension: 3, seed: 5);
        await using var scorer = OnnxScorer.Load(TestModels.Export(model, _folder.Path));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => scorer.ScoreAsync(new ScoringRequest(new float[3], 0f, 3), cancelled.Token));
        Assert.Equal(3, (await scorer.ScoreAsync(new ScoringRequest(new float[3], 0f, 3))).Items.Count);
    }

    [Fact]
    public async Task CudaIsUsedWhenAvailableAndOtherwiseFallsBackToCpuWithAWarning()
    {
        var model = TestModels.Random(users: 2, items: 10, dimension: 3, seed: 5);
        var logger = new ListLogger();
        var options = new ScorerOptions { ExecutionProvider = ScoringExecutionProvider.Cuda };
        await using var scorer = OnnxScorer.Load(TestModels.Export(model, _folder.Path), options, logger);

        var available = Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetAvailableProviders();
        if (!available.Contains("CUDAExecutionProvider"))
        {
            // The default CPU package: CUDA must not even be tried (the CPU package throws instead of falling back).
            Assert.Equal("CPUExecutionProvider", scorer.ExecutionProvider);
            Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("offers only", StringComparison.Ordinal));
        }
        else if (scorer.ExecutionProvider != "CUDAExecutionProvider")
        {
            // A GPU build (-p:OnnxRuntimeGpu=true) on a machine whose CUDA cannot be used: it must say so and run on CPU.
            Assert.Equal("CPUExecutionProvider", scorer.ExecutionProvider);
            Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("could not be used", StringComparison.Ordinal));
        }
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Information && e.Message.Contains($"runs on {scorer.ExecutionProvider}", StringComparison.Ordinal));
        Assert.Equal(3, (await scorer.ScoreAsync(new ScoringRequest(model.UserVector(0).ToArray(), 0f, 3))).Items.Count);
    }

    [Fact]
    public async Task OptionsReachTheSessionsAndBadOptionsAreRefused()
    {
        var model = TestModels.Random(users: 3, items: 30, dimension: 5, seed: 8);
        var path = TestModels.Export(model, _folder.Path);
        var options = new ScorerOptions
        {
            IntraOpThreads = 1,
            InterOpThreads = 1,
            GraphOptimizationLevel = Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_DISABLE_ALL,
            ConcurrentBatches = 2,
            MaxBatchWait = TimeSpan.Zero,
        };
        await using (var scorer = OnnxScorer.Load(path, options))
        {
            AssertMatchesReference(model, 2, await scorer.ScoreAsync(new ScoringRequest(model.UserVector(2).ToArray(), model.UserBias[2], 7)), 7);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxScorer.Load(path, new ScorerOptions { MaxBatchSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxScorer.Load(path, new ScorerOptions { MaxBatchSize = 10, QueueCapacity = 5 }));
    }

    [Fact]
    public async Task ADisposedScorerRefusesRequestsAndReleasesItsSessions()
    {
        var model = TestModels.Random(users: 2, items: 10, dimension: 3, seed: 5);
        var scorer = OnnxScorer.Load(TestModels.Export(model, _folder.Path));
        var serving = scorer.CurrentLoadedModel;

        await scorer.DisposeAsync();

        Assert.True(serving.IsDisposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => scorer.ScoreAsync(new ScoringRequest(new float[3], 0f, 3)));
        await scorer.DisposeAsync();
    }

    [Fact]
    public async Task RequestsQueuedBeforeDisposeAreAllCompletedWhenDisposeReturns()
    {
        var model = TestModels.Random(users: 40, items: 300, dimension: 8, seed: 15);
        var scorer = OnnxScorer.Load(TestModels.Export(model, _folder.Path), new ScorerOptions { MaxBatchSize = 4, MaxBatchWait = TimeSpan.Zero });
        var pending = Enumerable.Range(0, model.UserCount)
            .Select(u => scorer.ScoreAsync(new ScoringRequest(model.UserVector(u).ToArray(), model.UserBias[u], k: 3)))
            .ToArray();

        await scorer.DisposeAsync();

        Assert.All(pending, task => Assert.True(task.IsCompletedSuccessfully));
        for (var user = 0; user < model.UserCount; user++) AssertMatchesReference(model, user, await pending[user], k: 3);
    }

    internal static void AssertMatchesReference(EmbeddingModel model, int user, ScoringResult result, int k, Func<int, bool>? excluded = null)
    {
        var expected = new float[model.ItemCount];
        model.ScoreAll(user, expected);
        Assert.Equal(TestModels.ReferenceTopK(expected, k, excluded), result.Items.Select(i => i.Item));
        foreach (var scored in result.Items)
        {
            var tolerance = TestModels.Tolerance(model, model.UserVector(user), model.UserBias[user], scored.Item);
            Assert.True(Math.Abs(scored.Score - expected[scored.Item]) <= tolerance, $"item {scored.Item}: {scored.Score} vs {expected[scored.Item]}");
        }
    }
}
