using Orleans.LlmRec.Cli.Commands;
using Orleans.LlmRec.Recommendation.Onnx;
using Orleans.LlmRec.Recommendation.Training;
using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Cli.Tests;

/// <summary>The pieces behind <c>llmrec recommend</c> and the training progress bar, without a model.</summary>
public sealed class BatchRecommenderTests
{
    /// <summary>Answers each request with one item: the user's bias as an index, so a result names its request.</summary>
    private sealed class EchoScorer : IScorer
    {
        public int Batches { get; private set; }

        public OnnxModelInfo Model => throw new NotSupportedException();

        public Task<ScoringResult> ScoreAsync(ScoringRequest request, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ScoringResult([new ScoredItem((int)request.UserBias, request.UserBias)], "v"));

        public async Task<IReadOnlyList<ScoringResult>> ScoreBatchAsync(IReadOnlyList<ScoringRequest> requests, CancellationToken cancellationToken = default)
        {
            Batches++;
            await Task.Yield();
            return requests.Select(r => new ScoringResult([new ScoredItem((int)r.UserBias, r.UserBias)], "v")).ToArray();
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(64)]
    public async Task ResultsComeBackInUserOrderWithProgressToTheEnd(int chunkSize)
    {
        var scorer = new EchoScorer();
        int[] users = [5, 2, 9, 0, 7, 7, 1, 3, 8, 4];
        var reports = new List<BatchProgress>();
        var results = new List<UserRecommendations>();
        await foreach (var list in BatchRecommender.RecommendAsync(scorer, users, u => new ScoringRequest(ReadOnlyMemory<float>.Empty, u, 1),
            new SynchronousProgress<BatchProgress>(reports.Add), chunkSize))
        {
            results.Add(list);
        }

        Assert.Equal(users, results.Select(r => r.User));
        Assert.Equal(users, results.Select(r => r.Items[0].Item));
        Assert.Equal((users.Length + chunkSize - 1) / chunkSize, scorer.Batches);
        Assert.Equal(0, reports[0].Done);
        Assert.Equal(users.Length, reports[^1].Done);
        Assert.All(reports, r => Assert.Equal(users.Length, r.Total));
        Assert.True(reports.Zip(reports.Skip(1)).All(p => p.First.Done <= p.Second.Done));
    }

    [Fact]
    public async Task NoUsersNoBatches()
    {
        var scorer = new EchoScorer();
        var any = false;
        await foreach (var _ in BatchRecommender.RecommendAsync(scorer, [], u => throw new InvalidOperationException())) any = true;
        Assert.False(any);
        Assert.Equal(0, scorer.Batches);
    }

    [Fact]
    public void WriterQuotesCsvFieldsAndEscapesJson()
    {
        var csv = new StringWriter();
        using (var writer = new RecommendationWriter(csv, RecommendationFormat.Csv))
        {
            writer.Write("a,b", [new ScoredItem(0, 1.5f), new ScoredItem(1, -0.25f)], i => i == 0 ? "say \"hi\"" : "x");
        }
        Assert.Equal("user,rank,item,score\n\"a,b\",1,\"say \"\"hi\"\"\",1.5\n\"a,b\",2,x,-0.25\n", csv.ToString());

        var json = new StringWriter();
        using (var writer = new RecommendationWriter(json, RecommendationFormat.JsonLines))
        {
            writer.Write("u\"1", [new ScoredItem(0, 2f)], _ => "i");
            writer.Write("u2", [], _ => "i");
        }
        Assert.Equal("{\"user\":\"u\\u00221\",\"items\":[\"i\"],\"scores\":[2]}\n{\"user\":\"u2\",\"items\":[],\"scores\":[]}\n", json.ToString());
        Assert.Equal(RecommendationFormat.JsonLines, RecommendationWriter.FormatOf("x/recs.JSONL"));
        Assert.Throws<ArgumentException>(() => RecommendationWriter.FormatOf("recs.txt"));
    }

    [Fact]
    public void ProgressViewShowsBatchesRateAndTimeLeftAndCountsOnlyEpochs()
    {
        var now = TimeSpan.Zero;
        var view = new TrainingProgressView("lightgcn", searchesEpochs: false, () => now);

        now = TimeSpan.FromSeconds(2);
        var text = view.Update(new TrainingProgress(1, 10, 0.5) { Batch = 50, BatchesPerEpoch = 100 });
        Assert.Equal("train lightgcn · epoch 1/10 batch 50/100 · loss 0.5000 · 25.0 batches/s · 0:38 left", text);
        Assert.Equal(0.5, view.Value);
        Assert.Equal(0, view.EpochsRun);

        now = TimeSpan.FromSeconds(4);
        text = view.Update(new TrainingProgress(1, 10, 0.4));
        Assert.Equal("train lightgcn · epoch 1/10 · loss 0.4000 · 4.00 s/epoch · 0:36 left", text);
        Assert.Equal(1, view.EpochsRun);
        Assert.Equal(1, view.PhaseCount);
    }

    [Fact]
    public void ProgressViewNamesTheSearchAndTheRefitAndSummarisesWithTheModelsEpochs()
    {
        var now = TimeSpan.Zero;
        var view = new TrainingProgressView("lightgcn", searchesEpochs: true, () => now);
        for (var e = 1; e <= 6; e++)
        {
            now += TimeSpan.FromSeconds(1);
            var text = view.Update(new TrainingProgress(e, 100, 0.3, e % 5 == 0 ? 0.1 : null));
            Assert.StartsWith($"train lightgcn · early-stop search · epoch {e}/100", text);
            Assert.Contains("≤ ", text);
        }
        for (var e = 1; e <= 5; e++)
        {
            now += TimeSpan.FromSeconds(1);
            Assert.StartsWith($"train lightgcn · refit · epoch {e}/5", view.Update(new TrainingProgress(e, 5, 0.2, Note: "refit on all training data")));
        }
        Assert.Equal(2, view.PhaseCount);
        var model = new Recommendation.Models.EmbeddingModel(Recommendation.Models.ModelKind.LightGcn, 1, 1, 1);
        model.Parameters["epochs"] = 5;
        Assert.Equal("5 epoch(s) kept, 11 run (early-stop search 6 + refit 5) in 11.0 s (1.000 s per epoch run)", view.Summary(model, 11));
    }
}
