using System.CommandLine;
using Microsoft.ML.OnnxRuntime;
using Orleans.LlmRec.Cli.Commands;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.FoldIn;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Onnx;
using Spectre.Console;

namespace Orleans.LlmRec.Cli.Tests;

/// <summary>
/// These tests swap the process-wide <see cref="AnsiConsole.Console"/> to read what <c>llmrec score</c> prints, so they
/// run alone, never beside another class that writes to the console.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCaptureCollection
{
    public const string Name = "console capture";
}

/// <summary>
/// One synthetic data set (<c>llmrec data synth</c>) and one model directory per kind (<c>llmrec train</c>), shared by
/// the tests of <see cref="ExportAndScoreCommandTests"/>.
/// </summary>
public sealed class TrainedModelsFixture : IAsyncLifetime
{
    public static readonly string[] Kinds = ["pop", "svd", "svdpp", "bpr", "lightgcn"];

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "llmrec-score-" + Guid.NewGuid().ToString("N"));

    public string Data => Path.Combine(Root, "data");

    public string ModelDirectory(string kind) => Path.Combine(Root, kind);

    public RatingsDataset Dataset { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Assert.Equal(0, await ExportAndScoreCommandTests.RunAsync("data", "synth", "--out", Data, "--users", "80", "--items", "120", "--per-user", "15", "--seed", "9"));
        foreach (var kind in Kinds)
        {
            // Few epochs keep this quick; BPR's small learning rate needs more to move its vectors off their initialisation.
            var epochs = kind == "bpr" ? "100" : "6";
            Assert.Equal(0, await ExportAndScoreCommandTests.RunAsync("train", "--data", Data, "--model", kind, "--epochs", epochs, "--factors", "8", "--seed", "4", "--out", ModelDirectory(kind)));
        }
        Dataset = DatasetLoader.Load(Data, "movielens");
    }

    public Task DisposeAsync()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>
/// <c>llmrec data synth</c> → <c>train</c> → <c>export</c> → <c>score</c>, in process: the exported files load in ONNX
/// Runtime with the manifest's metadata, and what <c>score</c> prints is the model's own C# ranking.
/// </summary>
[Collection(ConsoleCaptureCollection.Name)]
public sealed class ExportAndScoreCommandTests(TrainedModelsFixture fixture) : IClassFixture<TrainedModelsFixture>
{
    private const int K = 10;

    public static TheoryData<string> AllKinds => [.. TrainedModelsFixture.Kinds];

    public static TheoryData<string> PersonalisedKinds => [.. TrainedModelsFixture.Kinds.Where(k => k != "pop")];

    internal static Task<int> RunAsync(params string[] args) =>
        new RootCommand { DataCommand.Create(), TrainCommand.Create(), ExportCommand.Create(), ScoreCommand.Create() }.Parse(args).InvokeAsync();

    /// <summary>Runs a command with the console swapped for a wide, colourless writer and returns its exit code and text.</summary>
    private static Task<(int Code, string Output)> RunCapturedAsync(params string[] args) =>
        CapturedConsole.RunAsync(() => RunAsync(args));

    /// <summary>The item ids of the rows of the table <c>score</c> prints ("# │ item │ score │ title"), in rank order.</summary>
    private static List<(string Item, double Score)> PrintedItems(string output)
    {
        var rows = new List<(string, double)>();
        foreach (var line in output.Split('\n'))
        {
            var cells = line.Split('│', '|');
            if (cells.Length < 5 || !int.TryParse(cells[1].Trim(), out var rank)) continue;
            Assert.Equal(rows.Count + 1, rank);
            rows.Add((cells[2].Trim(), double.Parse(cells[3].Trim(), System.Globalization.CultureInfo.InvariantCulture)));
        }
        return rows;
    }

    /// <summary>The model's own ranking in C#: every item scored, the excluded ones removed, top K.</summary>
    private static List<(string Item, float Score)> ReferenceTopK(EmbeddingModel model, IdMap items, float[] vector, float bias, IEnumerable<int> excluded)
    {
        var scores = new float[model.ItemCount];
        model.ScoreAll(vector, bias, scores);
        foreach (var item in excluded) scores[item] = float.NegativeInfinity;
        var top = new int[K];
        var count = TopK.Select(scores, K, top);
        return [.. top.Take(count).Select(i => (items.GetExternalId(i), scores[i]))];
    }

    /// <summary>Same items in the same order; ONNX Runtime (float32 Gemm) may only swap items whose C# scores tie to 1e-5.</summary>
    private static void AssertSameRanking(List<(string Item, float Score)> expected, List<(string Item, double Score)> printed, string because)
    {
        Assert.True(expected.Count == printed.Count, $"{because}: printed {printed.Count} items, expected {expected.Count}.");
        var expectedScore = expected.ToDictionary(e => e.Item, e => e.Score);
        for (var j = 0; j < expected.Count; j++)
        {
            if (printed[j].Item == expected[j].Item) continue;
            Assert.True(expectedScore.TryGetValue(printed[j].Item, out var actualScore),
                $"{because}: rank {j + 1} is item {printed[j].Item}, which is not in the C# top {K} [{string.Join(", ", expected.Select(e => e.Item))}].");
            Assert.True(Math.Abs(actualScore - expected[j].Score) <= 1e-5 * Math.Max(1, Math.Abs(expected[j].Score)),
                $"{because}: rank {j + 1} is item {printed[j].Item} ({actualScore}), C# ranks item {expected[j].Item} ({expected[j].Score}) there.");
        }
        // The printed scores (4 decimals) are the model's.
        for (var j = 0; j < expected.Count; j++) Assert.InRange(printed[j].Score - expectedScore[printed[j].Item], -6e-5, 6e-5);
    }

    private (EmbeddingModel Model, IdMap Users, IdMap Items, ModelManifest Manifest) Load(string kind) =>
        Recommendation.Models.ModelDirectory.Load(fixture.ModelDirectory(kind));

    /// <summary>A user's training items as model item indexes, and their interactions as fold-in would read them.</summary>
    private (int[] Seen, List<(int Item, float Rating)> History) HistoryOf(string userId, IdMap modelItems)
    {
        var data = fixture.Dataset;
        var user = data.Users[userId];
        var history = data.Interactions.Where(x => x.User == user).Select(x => (Item: modelItems[data.Items.GetExternalId(x.Item)], x.Rating)).ToList();
        return ([.. history.Select(h => h.Item)], history);
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task Export_writes_both_graphs_which_load_in_onnx_runtime_with_the_manifests_metadata(string kind)
    {
        var directory = fixture.ModelDirectory(kind);
        var fullPath = Path.Combine(directory, ExportCommand.DefaultFileName);
        var candidatesPath = OnnxContract.CandidatesPathFor(fullPath);

        Assert.Equal(0, await RunAsync("export", "--model", directory));

        Assert.True(File.Exists(fullPath), $"{fullPath} was not written.");
        Assert.True(File.Exists(candidatesPath), $"{candidatesPath} was not written.");
        var (model, _, items, manifest) = Load(kind);
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        foreach (var (path, graph) in new[] { (fullPath, OnnxScoringGraph.FullCatalogue), (candidatesPath, OnnxScoringGraph.Candidates) })
        {
            using var session = new InferenceSession(path, options);
            var info = OnnxModelInfo.FromMetadata(session.ModelMetadata.CustomMetadataMap.AsReadOnly());
            Assert.Equal(graph, info.Graph);
            Assert.Equal(manifest.Kind, info.Kind.ToName());
            Assert.Equal(model.Kind, info.Kind);
            Assert.Equal(manifest.Version, info.Version);
            Assert.Equal(manifest.CreatedAt, info.CreatedAt);
            Assert.Equal(manifest.Dimension, info.Dimension);
            Assert.Equal(manifest.ItemCount, info.ItemCount);
            Assert.Equal(manifest.UserCount, info.UserCount);
            Assert.Equal(manifest.ItemIdChecksum, info.ItemIdChecksum);
            Assert.Equal(items.Checksum(), info.ItemIdChecksum);
            Assert.Equal(manifest.Dataset, info.Dataset);
        }
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task Score_user_prints_the_models_own_top_items_leaving_out_what_they_saw(string kind)
    {
        var (model, users, items, _) = Load(kind);
        const string userId = "7";
        var (seen, _) = HistoryOf(userId, items);
        var index = users[userId];

        var (code, output) = await RunCapturedAsync("score", "--model", fixture.ModelDirectory(kind), "--user", userId, "--data", fixture.Data, "--k", K.ToString());

        Assert.True(code == 0, output);
        var printed = PrintedItems(output);
        Assert.DoesNotContain(printed, p => seen.Contains(items[p.Item]));
        AssertSameRanking(ReferenceTopK(model, items, model.UserVector(index).ToArray(), model.UserBias[index], seen), printed, $"{kind} --user {userId}");
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task Score_items_folds_a_new_user_in_from_the_items(string kind)
    {
        var (model, _, items, _) = Load(kind);
        string[] clicked = ["3", "15", "27", "42"];
        var clickedIndexes = clicked.Select(id => items[id]).ToArray();
        var folded = new UserFoldIn(model).Compute([.. clickedIndexes.Select(i => new FoldInInteraction(i, 1f))]);

        var (code, output) = await RunCapturedAsync("score", "--model", fixture.ModelDirectory(kind), "--items", string.Join(',', clicked), "--k", K.ToString());

        Assert.True(code == 0, output);
        var printed = PrintedItems(output);
        Assert.DoesNotContain(printed, p => clicked.Contains(p.Item));
        AssertSameRanking(ReferenceTopK(model, items, folded.Vector, folded.Bias, clickedIndexes), printed, $"{kind} --items");
    }

    [Theory]
    [MemberData(nameof(PersonalisedKinds))]
    public async Task Score_user_and_items_folds_the_users_history_and_the_items_in_together(string kind)
    {
        var (model, _, items, _) = Load(kind);
        const string userId = "12";
        var (seen, history) = HistoryOf(userId, items);
        // Eight fairly popular items the user has not seen (rarely clicked items have barely trained vectors).
        var data = fixture.Dataset;
        var degree = data.ToMatrix();
        var clicked = Enumerable.Range(0, data.ItemCount).OrderByDescending(degree.ItemDegree).Skip(10)
            .Select(i => items[data.Items.GetExternalId(i)]).Where(i => !seen.Contains(i)).Take(8).ToArray();
        var ratings = kind is "svd" or "svdpp";
        var interactions = new Dictionary<int, FoldInInteraction>();
        foreach (var (item, rating) in history) interactions[item] = ratings ? new FoldInInteraction(item, rating, IsRating: true) : new FoldInInteraction(item, 1f);
        foreach (var item in clicked) interactions.TryAdd(item, new FoldInInteraction(item, 1f));
        var foldIn = new UserFoldIn(model);
        var both = foldIn.Compute([.. interactions.Values]);
        var excluded = seen.Concat(clicked).ToArray();
        var expected = ReferenceTopK(model, items, both.Vector, both.Bias, excluded);
        // Folding in only the items (the old behaviour) or only the history must rank differently here, or this test
        // could not tell them apart from folding both in.
        var itemsOnly = foldIn.Compute([.. clicked.Select(i => new FoldInInteraction(i, 1f))]);
        var historyOnly = foldIn.Compute([.. interactions.Values.Where(x => !clicked.Contains(x.Item))]);
        Assert.NotEqual(expected.Select(e => e.Item), ReferenceTopK(model, items, itemsOnly.Vector, itemsOnly.Bias, excluded).Select(e => e.Item));
        Assert.NotEqual(expected.Select(e => e.Item), ReferenceTopK(model, items, historyOnly.Vector, historyOnly.Bias, excluded).Select(e => e.Item));

        var (code, output) = await RunCapturedAsync("score", "--model", fixture.ModelDirectory(kind), "--user", userId,
            "--items", string.Join(',', clicked.Select(items.GetExternalId)), "--data", fixture.Data, "--k", K.ToString());

        Assert.True(code == 0, output);
        var printed = PrintedItems(output);
        Assert.DoesNotContain(printed, p => excluded.Contains(items[p.Item]));
        AssertSameRanking(expected, printed, $"{kind} --user {userId} --items");
    }

    [Fact]
    public async Task Score_user_and_items_without_data_is_refused_because_the_history_would_be_missing()
    {
        var (code, output) = await RunCapturedAsync("score", "--model", fixture.ModelDirectory("bpr"), "--user", "12", "--items", "3");

        Assert.Equal(2, code);
        Assert.Contains("give --data", output);
    }

    [Theory]
    [InlineData("--user", "no-such-user", "user 'no-such-user' is not in the model")]
    [InlineData("--items", "3,no-such-item", "item 'no-such-item' is not in the model's catalogue")]
    public async Task Score_refuses_an_unknown_user_or_item_with_a_usage_error(string option, string value, string message)
    {
        var (code, output) = await RunCapturedAsync("score", "--model", fixture.ModelDirectory("bpr"), option, value);

        Assert.Equal(2, code);
        Assert.Contains("error:", output);
        Assert.Contains(message, output);
    }

    [Fact]
    public async Task Score_refuses_data_other_than_the_models_own()
    {
        var other = Path.Combine(fixture.Root, $"other-data-{Guid.NewGuid():N}");
        Assert.Equal(0, (await RunCapturedAsync("data", "synth", "--out", other, "--users", "30", "--items", "45", "--per-user", "6", "--seed", "99")).Code);

        var (code, output) = await RunCapturedAsync("score", "--model", fixture.ModelDirectory("bpr"), "--user", "12", "--data", other);

        Assert.Equal(2, code);
        Assert.Contains("is not the data set the model was trained on", output);
    }

    [Fact]
    public async Task Score_with_neither_user_nor_items_is_a_usage_error()
    {
        var (code, output) = await RunCapturedAsync("score", "--model", fixture.ModelDirectory("bpr"));

        Assert.Equal(2, code);
        Assert.Contains("Give --user, --items, or both.", output);
    }

    [Theory]
    [InlineData("score")]
    [InlineData("export")]
    public async Task A_missing_model_directory_fails_with_a_message_naming_it(string command)
    {
        var missing = Path.Combine(fixture.Root, "no-such-model");
        string[] args = command == "score" ? ["score", "--model", missing, "--user", "7"] : ["export", "--model", missing];

        var (code, output) = await RunCapturedAsync(args);

        Assert.NotEqual(0, code);
        Assert.Contains("error:", output);
        Assert.Contains("no manifest", output);
        Assert.Contains("no-such-model", output);
        Assert.False(Directory.Exists(missing));
    }
}
