using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Onnx;

namespace Orleans.LlmRec.Scoring.UnitTests;

/// <summary>
/// The scorer's hot path (scoring contract 2: the serving graph plus managed exclusions and top-k) against the
/// contract-1 path (in-graph mask and TopK) and the reference full sort, and what happens with files of either version.
/// </summary>
public sealed class ServingGraphTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task ServingGraphAndContractGraphReturnTheSameItemsAndScores(int threads)
    {
        var model = TestModels.Random(users: 64, items: 1_000, dimension: 24, seed: 61);
        var path = TestModels.Export(model, _folder.Path);
        var random = new Random(4);
        var requests = Enumerable.Range(0, model.UserCount).Select(user => new ScoringRequest(model.UserVector(user).ToArray(), model.UserBias[user], k: 1 + user % 30)
        {
            ExcludedItems = Enumerable.Range(0, 40).Select(_ => random.Next(model.ItemCount)).Distinct().ToArray(),
        }).ToArray();
        var options = new ScorerOptions { IntraOpThreads = threads, MaxBatchSize = 64, MaxBatchWait = TimeSpan.FromSeconds(30) };

        await using var serving = OnnxScorer.Load(path, options);
        await using var contract = OnnxScorer.Load(path, new ScorerOptions
        {
            IntraOpThreads = threads, MaxBatchSize = 64, MaxBatchWait = TimeSpan.FromSeconds(30), UseItemScoresGraph = false,
        });
        Assert.True(serving.UsesItemScoresGraph);
        Assert.False(contract.UsesItemScoresGraph);

        var fast = await serving.ScoreBatchAsync(requests);
        var slow = await contract.ScoreBatchAsync(requests);

        for (var user = 0; user < requests.Length; user++)
        {
            var excluded = requests[user].ExcludedItems.ToArray();
            OnnxScorerTests.AssertMatchesReference(model, user, fast[user], requests[user].K, excluded.Contains);
            Assert.Equal(slow[user].Items.Select(i => i.Item), fast[user].Items.Select(i => i.Item));
            for (var j = 0; j < fast[user].Items.Count; j++)
            {
                var expected = slow[user].Items[j].Score;
                Assert.True(Math.Abs(fast[user].Items[j].Score - expected) <= 1e-5f * Math.Max(1f, Math.Abs(expected)),
                    $"user {user} rank {j}: {fast[user].Items[j].Score} vs {expected}");
            }
        }
        // The 64 requests ran as one inference (the serving path keeps micro-batching).
        Assert.Equal(new ScorerStatistics(64, 1, 64, 0), serving.Statistics);
    }

    [Fact]
    public async Task ExcludingAlmostEverythingLeavesOnlyTheEligibleItemsOnTheServingPath()
    {
        var model = TestModels.Random(users: 2, items: 40, dimension: 5, seed: 3);
        await using var scorer = OnnxScorer.Load(TestModels.Export(model, _folder.Path));
        Assert.True(scorer.UsesItemScoresGraph);

        var result = await scorer.ScoreAsync(new ScoringRequest(model.UserVector(0).ToArray(), model.UserBias[0], k: 10)
        {
            ExcludedItems = Enumerable.Range(0, 37).ToArray(),
        });

        Assert.Equal([37, 38, 39], result.Items.Select(i => i.Item).Order());
        OnnxScorerTests.AssertMatchesReference(model, 0, result, k: 10, excluded: i => i < 37);
    }

    [Fact]
    public async Task ABufferReusedAcrossBatchesCarriesNoExclusionsOver()
    {
        // The serving path writes -inf into its reused output buffer; the next run must not see them.
        var model = TestModels.Random(users: 3, items: 50, dimension: 4, seed: 8);
        await using var scorer = OnnxScorer.Load(TestModels.Export(model, _folder.Path), new ScorerOptions { MaxBatchSize = 1, MaxBatchWait = TimeSpan.Zero });
        var vector = model.UserVector(1).ToArray();
        var best = (await scorer.ScoreAsync(new ScoringRequest(vector, 0f, k: 5))).Items.Select(i => i.Item).ToArray();

        var without = await scorer.ScoreAsync(new ScoringRequest(vector, 0f, k: 5) { ExcludedItems = best });
        var again = await scorer.ScoreAsync(new ScoringRequest(vector, 0f, k: 5));

        Assert.Empty(without.Items.Select(i => i.Item).Intersect(best));
        Assert.Equal(best, again.Items.Select(i => i.Item));
    }

    [Fact]
    public async Task AContractOneExportIsServedByItsFullCatalogueGraph()
    {
        var model = TestModels.Random(users: 5, items: 60, dimension: 6, seed: 12);
        var manifest = TestModels.Manifest(model);
        var path = Path.Combine(_folder.Path, "v1.onnx");
        OnnxExporter.ExportGraph(model, manifest, OnnxScoringGraph.FullCatalogue, path, contractVersion: "1");
        OnnxExporter.ExportGraph(model, manifest, OnnxScoringGraph.Candidates, OnnxContract.CandidatesPathFor(path), contractVersion: "1");
        var logger = new ListLogger();

        await using var scorer = OnnxScorer.Load(path, logger: logger);

        Assert.Equal("1", scorer.Model.ContractVersion);
        Assert.False(scorer.UsesItemScoresGraph);
        Assert.True(scorer.SupportsCandidates);
        Assert.Contains(logger.Entries, e => e.Message.Contains("has no serving graph", StringComparison.Ordinal));
        OnnxScorerTests.AssertMatchesReference(model, 4, await scorer.ScoreAsync(new ScoringRequest(model.UserVector(4).ToArray(), model.UserBias[4], 7)), 7);

        // Hot swap from a contract-1 model to a contract-2 one switches to the serving path.
        await scorer.SwapAsync(TestModels.Export(model, _folder.Path, "20250303T000000Z-cccccc"));
        Assert.True(scorer.UsesItemScoresGraph);
        OnnxScorerTests.AssertMatchesReference(model, 4, await scorer.ScoreAsync(new ScoringRequest(model.UserVector(4).ToArray(), model.UserBias[4], 7)), 7);
    }

    [Fact]
    public async Task APopularityModelIsServedWithoutAServingGraph()
    {
        var model = TestModels.Random(users: 2, items: 30, dimension: 0, seed: 5, kind: ModelKind.Popularity);
        await using var scorer = OnnxScorer.Load(TestModels.Export(model, _folder.Path));

        Assert.False(scorer.UsesItemScoresGraph);
        OnnxScorerTests.AssertMatchesReference(model, 1, await scorer.ScoreAsync(new ScoringRequest(ReadOnlyMemory<float>.Empty, model.UserBias[1], 4)), 4);
    }
}
