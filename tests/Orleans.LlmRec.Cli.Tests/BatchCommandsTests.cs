using System.CommandLine;
using System.Text.Json;
using Orleans.LlmRec.Cli.Commands;
using Orleans.LlmRec.Recommendation.Models;
using Spectre.Console;

namespace Orleans.LlmRec.Cli.Tests;

/// <summary>A small click log (<c>data synth --shape clicks</c>, with a train.txt/test.txt split) and a BPR model on it.</summary>
public sealed class ClickModelFixture : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "llmrec-batch-" + Guid.NewGuid().ToString("N"));

    public string Data => Path.Combine(Root, "clicks");

    public string Model => Path.Combine(Root, "bpr");

    public async Task InitializeAsync()
    {
        var (code, output) = await BatchCommandsTests.RunCapturedAsync("data", "synth", "--shape", "clicks", "--out", Data,
            "--users", "300", "--items", "400", "--interactions", "6000", "--test-fraction", "0.2", "--seed", "5");
        Assert.True(code == 0, output);
        (code, output) = await BatchCommandsTests.RunCapturedAsync("train", "--data", Data, "--model", "bpr", "--epochs", "20", "--factors", "8", "--out", Model);
        Assert.True(code == 0, output);
    }

    public Task DisposeAsync()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary><c>recommend</c>, <c>score --output</c>, <c>eval --train --test</c>, <c>data synth --shape clicks</c>, format detection and the training summary.</summary>
[Collection(ConsoleCaptureCollection.Name)]
public sealed class BatchCommandsTests(ClickModelFixture fixture) : IClassFixture<ClickModelFixture>
{
    internal static Task<(int Code, string Output)> RunCapturedAsync(params string[] args) =>
        CapturedConsole.RunAsync(() => new RootCommand { DataCommand.Create(), TrainCommand.Create(), EvalCommand.Create(), ScoreCommand.Create(), RecommendCommand.Create() }.Parse(args).InvokeAsync());

    [Fact]
    public async Task RecommendListsEqualScoreListsForSampledUsers()
    {
        var csv = Path.Combine(fixture.Root, "recs.csv");
        var jsonl = Path.Combine(fixture.Root, "recs.jsonl");
        var (code, output) = await RunCapturedAsync("recommend", "--model", fixture.Model, "--data", fixture.Data, "--k", "7", "--out", csv);
        Assert.True(code == 0, output);
        Assert.Contains("Wrote top 7 of 300 users", output);
        (code, output) = await RunCapturedAsync("recommend", "--model", fixture.Model, "--data", fixture.Data, "--k", "7", "--out", jsonl);
        Assert.True(code == 0, output);

        var lines = File.ReadAllLines(jsonl);
        Assert.Equal(300, lines.Length);
        var rows = File.ReadAllLines(csv);
        Assert.Equal("user,rank,item,score", rows[0]);
        Assert.Equal(300 * 7 + 1, rows.Length);
        foreach (var index in new[] { 0, 1, 57, 150, 299 })
        {
            using var fromFile = JsonDocument.Parse(lines[index]);
            var user = fromFile.RootElement.GetProperty("user").GetString()!;
            (code, output) = await RunCapturedAsync("score", "--model", fixture.Model, "--data", fixture.Data, "--user", user, "--k", "7", "--output", "json");
            Assert.True(code == 0, output);
            using var fromScore = JsonDocument.Parse(output);
            Assert.Equal(Items(fromFile), Items(fromScore));
            Assert.Equal(Scores(fromFile), Scores(fromScore));
            // The CSV holds the same list, row by row.
            var csvItems = rows.Skip(1).Select(r => r.Split(',')).Where(r => r[0] == user).OrderBy(r => int.Parse(r[1])).Select(r => r[2]);
            Assert.Equal(Items(fromFile), csvItems);
        }
    }

    [Fact]
    public async Task RecommendLeavesSeenItemsOutAndTakesAUserFile()
    {
        var users = Path.Combine(fixture.Root, "users.txt");
        await File.WriteAllLinesAsync(users, ["3", "", "1"]);
        var outPath = Path.Combine(fixture.Root, "some.jsonl");
        var (code, output) = await RunCapturedAsync("recommend", "--model", fixture.Model, "--data", fixture.Data, "--users", users, "--k", "5", "--out", outPath);
        Assert.True(code == 0, output);
        var lines = File.ReadAllLines(outPath).Select(l => JsonDocument.Parse(l)).ToArray();
        Assert.Equal(["3", "1"], lines.Select(l => l.RootElement.GetProperty("user").GetString()));
        var seen = File.ReadLines(Path.Combine(fixture.Data, "ratings.csv")).Skip(1).Select(l => l.Split(','))
            .Where(f => f[0] == "3").Select(f => f[1]).ToHashSet();
        Assert.Empty(Items(lines[0]).Intersect(seen));

        await File.WriteAllLinesAsync(users, ["1", "nobody"]);
        (code, output) = await RunCapturedAsync("recommend", "--model", fixture.Model, "--data", fixture.Data, "--users", users, "--out", outPath);
        Assert.Equal(1, code);
        Assert.Contains("users.txt:2: field 'user': 'nobody' is not a user of the model", output);
        (code, output) = await RunCapturedAsync("recommend", "--model", fixture.Model, "--data", fixture.Data, "--out", Path.Combine(fixture.Root, "recs.parquet"));
        Assert.Equal(1, code);
        Assert.Contains(".csv or a .jsonl", output);
    }

    [Fact]
    public async Task ScoreCsvOutputIsTheRecommendLayout()
    {
        var (code, output) = await RunCapturedAsync("score", "--model", fixture.Model, "--data", fixture.Data, "--user", "2", "--k", "3", "--output", "csv");
        Assert.True(code == 0, output);
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("user,rank,item,score", rows[0]);
        Assert.Equal(["1", "2", "3"], rows.Skip(1).Select(r => r.Split(',')[1]));
        Assert.All(rows.Skip(1), r => Assert.StartsWith("2,", r));
    }

    [Fact]
    public async Task EvalTakesAGivenSplitInEitherFormat()
    {
        var json = Path.Combine(fixture.Root, "eval.json");
        var (code, output) = await RunCapturedAsync("eval", "--train", Path.Combine(fixture.Data, "train.txt"), "--test", Path.Combine(fixture.Data, "test.txt"),
            "--model", "pop", "--k", "20", "--out", json);
        Assert.True(code == 0, output);
        Assert.Contains("protocol given split", output);
        using var records = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var metrics = records.RootElement[0].GetProperty("metrics");
        foreach (var name in new[] { "recall@20", "ndcg@20", "precision@20", "hitrate@20" }) Assert.True(metrics.GetProperty(name).GetDouble() > 0, name);

        var csvTrain = Path.Combine(fixture.Root, "train.csv");
        await File.WriteAllLinesAsync(csvTrain, File.ReadLines(Path.Combine(fixture.Data, "train.txt"))
            .SelectMany(l => l.Split(' ') is var f ? f.Skip(1).Select(i => $"{f[0]},{i}") : []));
        (code, output) = await RunCapturedAsync("eval", "--train", csvTrain, "--test", Path.Combine(fixture.Data, "test.txt"), "--model", "pop", "--k", "20", "--out", json);
        Assert.True(code == 0, output);
        using var fromCsv = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        Assert.Equal(metrics.GetProperty("recall@20").GetDouble(), fromCsv.RootElement[0].GetProperty("metrics").GetProperty("recall@20").GetDouble(), 12);
    }

    [Fact]
    public async Task EvalRefusesMalformedSplitFilesAndMixedOptions()
    {
        var bad = Path.Combine(fixture.Root, "bad-train.txt");
        await File.WriteAllLinesAsync(bad, ["1 2 3", "2 4 five"]);
        var (code, output) = await RunCapturedAsync("eval", "--train", bad, "--test", Path.Combine(fixture.Data, "test.txt"), "--model", "pop");
        Assert.Equal(1, code);
        Assert.Contains("bad-train.txt:2: field 'item 2': 'five'", output);

        (code, output) = await RunCapturedAsync("eval", "--train", bad, "--model", "pop");
        Assert.Equal(2, code);
        Assert.Contains("--test", output);
        (code, output) = await RunCapturedAsync("eval", "--train", bad, "--test", bad, "--protocol", "loo");
        Assert.Equal(2, code);
        (code, output) = await RunCapturedAsync("eval", "--model", "pop");
        Assert.Equal(2, code);
        Assert.Contains("--data", output);
    }

    [Fact]
    public async Task FormatIsDetectedAndStatsSayWhenThereAreNoTimestamps()
    {
        var (code, output) = await RunCapturedAsync("data", "stats", "--data", Path.Combine(fixture.Data, "train.txt"));
        Assert.True(code == 0, output);
        Assert.Contains("no interaction has a timestamp", output);
        (code, output) = await RunCapturedAsync("data", "stats", "--data", fixture.Data);
        Assert.True(code == 0, output);
        Assert.DoesNotContain("no interaction has a timestamp", output);
        Assert.Contains("6,000", output);
    }

    [Fact]
    public async Task SynthRefusesTheOtherShapesOptionsAndImpossibleSizes()
    {
        var folder = Path.Combine(fixture.Root, "refused");
        var (code, output) = await RunCapturedAsync("data", "synth", "--shape", "clicks", "--per-user", "5", "--out", folder);
        Assert.Equal(2, code);
        Assert.Contains("--per-user is for --shape movies", output);
        (code, output) = await RunCapturedAsync("data", "synth", "--interactions", "5000", "--out", folder);
        Assert.Equal(2, code);
        Assert.Contains("--interactions is for --shape clicks", output);
        (code, output) = await RunCapturedAsync("data", "synth", "--shape", "clicks", "--users", "10", "--items", "100", "--interactions", "5", "--out", folder);
        Assert.Equal(2, code);
        Assert.Contains("--interactions: Must lie in [UserCount × MinPerUser", output);
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public async Task TrainingSummaryCountsTheEpochsTheManifestRecords()
    {
        var directory = Path.Combine(fixture.Root, "lightgcn");
        var (code, output) = await RunCapturedAsync("train", "--data", Path.Combine(fixture.Data, "train.txt"), "--model", "lightgcn",
            "--epochs", "12", "--factors", "8", "--out", directory);
        Assert.True(code == 0, output);
        var manifest = ModelDirectory.ReadManifest(directory);
        var kept = (int)manifest.Parameters["epochs"];
        Assert.Matches($@"Trained lightgcn on [0-9,]+ interactions: {kept} epoch\(s\) kept, [0-9]+ run \(early-stop search [0-9]+ \+ refit {kept}\)", output);
    }

    private static string[] Items(JsonDocument list) => list.RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static float[] Scores(JsonDocument list) => list.RootElement.GetProperty("scores").EnumerateArray().Select(e => e.GetSingle()).ToArray();
}
