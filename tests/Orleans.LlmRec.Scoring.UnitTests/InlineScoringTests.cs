using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Scoring.UnitTests;

/// <summary>
/// <see cref="ScorerOptions.ScoreLoneCandidatesInline"/>: a candidates request that finds the scorer idle is scored on
/// its caller's thread; everything else goes through the queue, and swaps and disposal keep their promises.
/// </summary>
public sealed class InlineScoringTests : IDisposable
{
    private const string VersionA = "20250101T000000Z-aaaaaa";
    private const string VersionB = "20250102T000000Z-bbbbbb";

    private static readonly ScorerOptions Inline = new() { ScoreLoneCandidatesInline = true };

    private readonly TempFolder _folder = new();
    private readonly EmbeddingModel _modelA = TestModels.Random(users: 30, items: 120, dimension: 8, seed: 303);
    private readonly EmbeddingModel _modelB = TestModels.Random(users: 30, items: 120, dimension: 8, seed: 404);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task ALoneCandidatesRequestIsScoredOnTheCallersThreadWithTheQueuedPathsResult()
    {
        var path = Export(_modelA, VersionA);
        await using var inline = OnnxScorer.Load(path, Inline);
        await using var queued = OnnxScorer.Load(path, new ScorerOptions { ScoreLoneCandidatesInline = false });

        for (var user = 0; user < _modelA.UserCount; user++)
        {
            var request = Request(_modelA, user);
            var inlineTask = inline.ScoreAsync(request);
            // Finished before ScoreAsync returned: no batch loop was involved.
            Assert.True(inlineTask.IsCompletedSuccessfully);
            var inlineResult = await inlineTask;
            var queuedResult = await queued.ScoreAsync(request);

            Assert.Equal(queuedResult.ModelVersion, inlineResult.ModelVersion);
            Assert.Equal(queuedResult.Items, inlineResult.Items);
            AssertMatchesReference(_modelA, user, request, inlineResult);
        }
        Assert.Equal(_modelA.UserCount, inline.InlineRuns);
        Assert.Equal(0, queued.InlineRuns);
        Assert.Equal(new ScorerStatistics(_modelA.UserCount, _modelA.UserCount, 1, 0), inline.Statistics);
    }

    [Fact]
    public async Task RequestsArrivingWhileOneIsScoredInlineAreQueuedAndAllGetTheirOwnResult()
    {
        await using var scorer = OnnxScorer.Load(Export(_modelA, VersionA), Inline);
        var arrivals = new List<(int User, ScoringRequest Request, Task<ScoringResult> Result)>();
        scorer.InlineRunStarting = _ =>
        {
            if (arrivals.Count > 0) return;
            for (var user = 1; user < _modelA.UserCount; user++)
            {
                var request = Request(_modelA, user);
                arrivals.Add((user, request, scorer.ScoreAsync(request)));
            }
        };

        var first = Request(_modelA, 0);
        var firstResult = await scorer.ScoreAsync(first);
        await Task.WhenAll(arrivals.Select(a => a.Result));

        // Only the first found the scorer idle; the others arrived while the inline slot was held.
        Assert.Equal(1, scorer.InlineRuns);
        Assert.Equal(_modelA.UserCount, scorer.Statistics.Requests);
        AssertMatchesReference(_modelA, 0, first, firstResult);
        foreach (var (user, request, result) in arrivals) AssertMatchesReference(_modelA, user, request, await result);
    }

    [Fact]
    public async Task OnlyLoneCandidatesRequestsWithoutABatchWaitRunInline()
    {
        var path = Export(_modelA, VersionA);
        await using var scorer = OnnxScorer.Load(path, Inline);
        await using var waiting = OnnxScorer.Load(path, new ScorerOptions { ScoreLoneCandidatesInline = true, MaxBatchWait = TimeSpan.FromMilliseconds(1) });
        await using var byDefault = OnnxScorer.Load(path);

        await scorer.ScoreAsync(new ScoringRequest(_modelA.UserVector(0).ToArray(), _modelA.UserBias[0], 5));
        var batch = await scorer.ScoreBatchAsync([Request(_modelA, 1), Request(_modelA, 2)]);
        var withWait = await waiting.ScoreAsync(Request(_modelA, 3));
        await byDefault.ScoreAsync(Request(_modelA, 4));

        // Full-catalogue requests, explicit batches, scorers with a batch wait and those left at the default all queue.
        Assert.Equal(0, scorer.InlineRuns);
        Assert.Equal(0, waiting.InlineRuns);
        Assert.Equal(0, byDefault.InlineRuns);
        AssertMatchesReference(_modelA, 1, Request(_modelA, 1), batch[0]);
        AssertMatchesReference(_modelA, 3, Request(_modelA, 3), withWait);
    }

    [Fact]
    public async Task ASwapDuringAnInlineRunKeepsItsModelUntilTheRunEnds()
    {
        await using var scorer = OnnxScorer.Load(Export(_modelA, VersionA), Inline);
        var old = scorer.CurrentLoadedModel;
        var pathB = Export(_modelB, VersionB);
        var oldDisposedDuringRun = true;
        scorer.InlineRunStarting = _ =>
        {
            scorer.InlineRunStarting = null;
            scorer.SwapAsync(pathB).GetAwaiter().GetResult();
            oldDisposedDuringRun = old.IsDisposed;
        };

        var request = Request(_modelA, 2);
        var result = await scorer.ScoreAsync(request);

        Assert.False(oldDisposedDuringRun);
        Assert.Equal(VersionA, result.ModelVersion);
        AssertMatchesReference(_modelA, 2, request, result);
        Assert.True(old.IsDisposed);
        var next = Request(_modelB, 2);
        var nextResult = await scorer.ScoreAsync(next);
        Assert.Equal(VersionB, nextResult.ModelVersion);
        AssertMatchesReference(_modelB, 2, next, nextResult);
    }

    [Fact]
    public async Task DisposeDuringAnInlineRunWaitsForItAndThenRefusesRequests()
    {
        var scorer = OnnxScorer.Load(Export(_modelA, VersionA), Inline);
        var serving = scorer.CurrentLoadedModel;
        Task? disposal = null;
        var disposalDoneDuringRun = true;
        scorer.InlineRunStarting = _ =>
        {
            scorer.InlineRunStarting = null;
            disposal = scorer.DisposeAsync().AsTask();
            disposalDoneDuringRun = disposal.IsCompleted;
        };

        var request = Request(_modelA, 5);
        var result = await scorer.ScoreAsync(request);
        await disposal!;

        Assert.False(disposalDoneDuringRun);
        AssertMatchesReference(_modelA, 5, request, result);
        Assert.True(serving.IsDisposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => scorer.ScoreAsync(Request(_modelA, 6)));
    }

    private static ScoringRequest Request(EmbeddingModel model, int user) =>
        new(model.UserVector(user).ToArray(), model.UserBias[user], k: 5)
        {
            Candidates = [.. Enumerable.Range(0, 20).Select(j => (user * 13 + j * 5) % model.ItemCount).Distinct()],
            ExcludedItems = new[] { user * 13 % model.ItemCount },
        };

    /// <summary>The result is the top 5 of the request's candidates less its exclusions, by the model's own scores.</summary>
    private static void AssertMatchesReference(EmbeddingModel model, int user, ScoringRequest request, ScoringResult result)
    {
        var eligible = request.Candidates!.Except(request.ExcludedItems.ToArray()).ToArray();
        var scores = eligible.Select(item => model.Score(user, item)).ToArray();
        Assert.Equal(TestModels.ReferenceTopK(scores, request.K).Select(position => eligible[position]), result.Items.Select(s => s.Item));
    }

    private string Export(EmbeddingModel model, string version) => TestModels.Export(model, _folder.Path, version);
}
