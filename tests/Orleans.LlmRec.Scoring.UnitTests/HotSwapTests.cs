using System.Collections.Concurrent;
using Xunit.Abstractions;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Onnx;

namespace Orleans.LlmRec.Scoring.UnitTests;

public sealed class HotSwapTests(ITestOutputHelper output) : IDisposable
{
    private const string VersionA = "20250101T000000Z-aaaaaa";
    private const string VersionB = "20250102T000000Z-bbbbbb";

    private readonly TempFolder _folder = new();
    private readonly EmbeddingModel _modelA = TestModels.Random(users: 40, items: 80, dimension: 8, seed: 101);
    private readonly EmbeddingModel _modelB = TestModels.Random(users: 40, items: 80, dimension: 8, seed: 202);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task SwapServesTheNewModelAndDisposesTheOldOne()
    {
        await using var scorer = OnnxScorer.Load(Export(_modelA, VersionA));
        var old = scorer.CurrentLoadedModel;

        var info = await scorer.SwapAsync(Export(_modelB, VersionB));

        Assert.Equal(VersionB, info.Version);
        Assert.Equal(VersionB, scorer.Model.Version);
        Assert.True(old.IsDisposed);
        Assert.Equal(1, scorer.Statistics.Swaps);
        var result = await scorer.ScoreAsync(Request(_modelB, 3));
        Assert.Equal(VersionB, result.ModelVersion);
        OnnxScorerTests.AssertMatchesReference(_modelB, 3, result, k: 5);
    }

    [Fact]
    public async Task AModelInUseIsDisposedOnlyWhenItsLastReferenceGoes()
    {
        await using var scorer = OnnxScorer.Load(Export(_modelA, VersionA));
        var old = scorer.CurrentLoadedModel;
        Assert.True(old.TryAcquire());

        await scorer.SwapAsync(Export(_modelB, VersionB));

        Assert.False(old.IsDisposed);
        Assert.Equal(VersionA, old.Info.Version);
        old.Release();
        Assert.True(old.IsDisposed);
        Assert.False(old.TryAcquire());
    }

    [Fact]
    public async Task RequestsQueuedBeforeASwapAreScoredByTheModelTheyStartedWith()
    {
        // The batch only runs when full, so the first three requests are still waiting when the swap happens.
        var options = new ScorerOptions { MaxBatchSize = 8, MaxBatchWait = TimeSpan.FromSeconds(30) };
        await using var scorer = OnnxScorer.Load(Export(_modelA, VersionA), options);
        var old = scorer.CurrentLoadedModel;
        var before = Enumerable.Range(0, 3).Select(u => scorer.ScoreAsync(Request(_modelA, u))).ToArray();

        await scorer.SwapAsync(Export(_modelB, VersionB));
        Assert.False(old.IsDisposed);
        var after = Enumerable.Range(3, 5).Select(u => scorer.ScoreAsync(Request(_modelB, u))).ToArray();
        var results = await Task.WhenAll(before.Concat(after));

        for (var u = 0; u < 3; u++)
        {
            Assert.Equal(VersionA, results[u].ModelVersion);
            OnnxScorerTests.AssertMatchesReference(_modelA, u, results[u], k: 5);
        }
        for (var u = 3; u < 8; u++)
        {
            Assert.Equal(VersionB, results[u].ModelVersion);
            OnnxScorerTests.AssertMatchesReference(_modelB, u, results[u], k: 5);
        }
        Assert.True(old.IsDisposed);
    }

    public static TheoryData<string> BrokenFiles => ["garbage", "empty", "truncated-start", "truncated-middle", "truncated-end", "missing", "wrong-graph", "foreign-candidates",
        "foreign-item-scores", "truncated-item-scores", "wrong-item-scores-graph"];

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public async Task ABrokenFileIsRefusedWithAClearErrorAndTheOldModelKeepsServing(string breakage)
    {
        await using var scorer = OnnxScorer.Load(Export(_modelA, VersionA));
        var old = scorer.CurrentLoadedModel;
        var path = Break(breakage);

        var error = await Assert.ThrowsAsync<ScoringModelException>(() => scorer.SwapAsync(path));
        output.WriteLine(error.Message);

        Assert.StartsWith($"Refusing scoring model '{error.ModelPath}': ", error.Message);
        Assert.False(string.IsNullOrWhiteSpace(error.Reason));
        Assert.Equal(VersionA, scorer.Model.Version);
        Assert.False(old.IsDisposed);
        OnnxScorerTests.AssertMatchesReference(_modelA, 7, await scorer.ScoreAsync(Request(_modelA, 7)), k: 5);
        Assert.Equal(0, scorer.Statistics.Swaps);
        // The same file is refused at first load too.
        Assert.Throws<ScoringModelException>(() => OnnxScorer.Load(path));
    }

    [Fact]
    public async Task AModelForAnotherCatalogueIsRefused()
    {
        var expectation = new ModelExpectation { ItemCount = 80, ItemIdChecksum = TestModels.ItemIds(80).Checksum() };
        await using var scorer = OnnxScorer.Load(Export(_modelA, VersionA), expectation: expectation);

        var bigger = TestModels.Random(users: 40, items: 81, dimension: 8, seed: 5);
        var countError = await Assert.ThrowsAsync<ScoringModelException>(() => scorer.SwapAsync(Export(bigger, VersionB)));
        Assert.Contains("81 items", countError.Reason);

        var shuffled = Path.Combine(_folder.Path, "shuffled.onnx");
        OnnxExporter.Export(_modelB, TestModels.Manifest(_modelB, VersionB) with { ItemIdChecksum = "0123abcd" }, shuffled);
        var checksumError = await Assert.ThrowsAsync<ScoringModelException>(() => scorer.SwapAsync(shuffled));
        Assert.Contains("checksum", checksumError.Reason);

        var wrongDimension = new ModelExpectation { Dimension = 4 };
        await Assert.ThrowsAsync<ScoringModelException>(() => scorer.SwapAsync(Export(_modelB, VersionB), wrongDimension));

        Assert.Equal(VersionA, scorer.Model.Version);
        Assert.Equal(VersionB, (await scorer.SwapAsync(Export(_modelB, VersionB))).Version);
    }

    [Fact]
    public async Task HotSwapUnderConcurrentLoadNeverFailsARequest()
    {
        var pathA = Export(_modelA, VersionA);
        var pathB = Export(_modelB, VersionB);
        var garbage = Break("garbage");
        var options = new ScorerOptions { MaxBatchSize = 16, ConcurrentBatches = 2 };
        await using var scorer = OnnxScorer.Load(pathA, options);
        var retired = new List<LoadedOnnxModel>();
        var results = new ConcurrentQueue<(int User, bool Candidates, ScoringResult Result)>();
        using var stop = new CancellationTokenSource();

        var callers = Enumerable.Range(0, 6).Select(caller => Task.Run(async () =>
        {
            var random = new Random(caller);
            while (!stop.IsCancellationRequested)
            {
                var user = random.Next(_modelA.UserCount);
                // Both models share the catalogue and dimension, so any user vector is valid for either.
                var candidates = caller % 2 == 1;
                var request = new ScoringRequest(_modelA.UserVector(user).ToArray(), _modelA.UserBias[user], 5)
                {
                    Candidates = candidates ? Candidates(user) : null,
                };
                results.Enqueue((user, candidates, await scorer.ScoreAsync(request)));
            }
        })).ToArray();

        for (var swap = 0; swap < 12; swap++)
        {
            // Swap on progress, not on a clock: each model serves a few dozen requests first.
            var target = results.Count + 30;
            while (results.Count < target && !callers.Any(c => c.IsCompleted)) await Task.Delay(1);
            retired.Add(scorer.CurrentLoadedModel);
            if (swap % 4 == 3)
            {
                await Assert.ThrowsAsync<ScoringModelException>(() => scorer.SwapAsync(garbage));
                retired.RemoveAt(retired.Count - 1);
            }
            else
            {
                await scorer.SwapAsync(swap % 2 == 0 ? pathB : pathA);
            }
        }
        var finalTarget = results.Count + 30;
        while (results.Count < finalTarget && !callers.Any(c => c.IsCompleted)) await Task.Delay(1);
        await stop.CancelAsync();
        await Task.WhenAll(callers);

        Assert.All(retired, model => Assert.True(model.IsDisposed));
        Assert.Contains(results, r => r.Result.ModelVersion == VersionA);
        Assert.Contains(results, r => r.Result.ModelVersion == VersionB);
        foreach (var (user, candidates, result) in results)
        {
            // Every result must be exactly what the model it names would say, never a mix of two models.
            var model = result.ModelVersion == VersionA ? _modelA : _modelB;
            var vector = _modelA.UserVector(user).ToArray();
            var scored = candidates ? Candidates(user) : [.. Enumerable.Range(0, model.ItemCount)];
            var scores = scored.Select(i => Score(model, vector, _modelA.UserBias[user], i)).ToArray();
            Assert.Equal(TestModels.ReferenceTopK(scores, 5).Select(p => scored[p]), result.Items.Select(i => i.Item));
        }
    }

    private static int[] Candidates(int user) => [.. Enumerable.Range(0, 12).Select(j => (user * 11 + j * 7) % 80).Distinct()];

    private static float Score(EmbeddingModel model, ReadOnlySpan<float> userVector, float userBias, int item) =>
        model.GlobalBias + userBias + model.ItemBias[item] + System.Numerics.Tensors.TensorPrimitives.Dot(userVector, model.ItemVector(item));

    private static ScoringRequest Request(EmbeddingModel model, int user) => new(model.UserVector(user).ToArray(), model.UserBias[user], 5);

    private string Export(EmbeddingModel model, string version) => TestModels.Export(model, _folder.Path, version);

    /// <summary>Writes a broken model file of the given kind and returns its path.</summary>
    private string Break(string breakage)
    {
        var valid = File.ReadAllBytes(Export(_modelB, "20250103T000000Z-cccccc"));
        var path = Path.Combine(_folder.Path, $"broken-{breakage}.onnx");
        switch (breakage)
        {
            case "garbage":
                var noise = new byte[4096];
                new Random(1).NextBytes(noise);
                File.WriteAllBytes(path, noise);
                break;
            case "empty":
                File.WriteAllBytes(path, []);
                break;
            case "truncated-start":
                File.WriteAllBytes(path, valid[..(valid.Length / 10)]);
                break;
            case "truncated-middle":
                File.WriteAllBytes(path, valid[..(valid.Length / 2)]);
                break;
            case "truncated-end":
                File.WriteAllBytes(path, valid[..^1]);
                break;
            case "missing":
                break;
            case "wrong-graph":
                OnnxExporter.ExportGraph(_modelB, TestModels.Manifest(_modelB, VersionB), OnnxScoringGraph.Candidates, path);
                break;
            case "foreign-candidates":
                OnnxExporter.ExportGraph(_modelB, TestModels.Manifest(_modelB, VersionB), OnnxScoringGraph.FullCatalogue, path);
                OnnxExporter.ExportGraph(_modelA, TestModels.Manifest(_modelA, VersionA), OnnxScoringGraph.Candidates, OnnxContract.CandidatesPathFor(path));
                break;
            case "foreign-item-scores":
                OnnxExporter.ExportGraph(_modelB, TestModels.Manifest(_modelB, VersionB), OnnxScoringGraph.FullCatalogue, path);
                OnnxExporter.ExportGraph(_modelA, TestModels.Manifest(_modelA, VersionA), OnnxScoringGraph.ItemScores, OnnxContract.ItemScoresPathFor(path));
                break;
            case "truncated-item-scores":
                OnnxExporter.ExportGraph(_modelB, TestModels.Manifest(_modelB, VersionB), OnnxScoringGraph.FullCatalogue, path);
                var scores = OnnxExporter.Serialize(_modelB, TestModels.Manifest(_modelB, VersionB), OnnxScoringGraph.ItemScores);
                File.WriteAllBytes(OnnxContract.ItemScoresPathFor(path), scores[..(scores.Length / 2)]);
                break;
            case "wrong-item-scores-graph":
                OnnxExporter.ExportGraph(_modelB, TestModels.Manifest(_modelB, VersionB), OnnxScoringGraph.FullCatalogue, path);
                OnnxExporter.ExportGraph(_modelB, TestModels.Manifest(_modelB, VersionB), OnnxScoringGraph.Candidates, OnnxContract.ItemScoresPathFor(path));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(breakage), breakage, null);
        }
        return path;
    }
}
