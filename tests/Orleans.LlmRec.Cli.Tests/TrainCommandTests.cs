using System.CommandLine;
using Orleans.LlmRec.Cli.Commands;

namespace Orleans.LlmRec.Cli.Tests;

/// <summary><c>llmrec train --holdout</c> records in the manifest what <c>llmrec eval</c> reports for the same split.</summary>
[Collection(ConsoleCaptureCollection.Name)]
public sealed class TrainCommandTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "llmrec-train-" + Guid.NewGuid().ToString("N"));

    private string Data => Path.Combine(_directory, "data");

    [Fact]
    public async Task Holdout_records_ranking_and_rating_metrics_for_a_rating_model()
    {
        Assert.Equal(0, await RunAsync("data", "synth", "--out", Data, "--users", "120", "--items", "150", "--per-user", "20"));
        var modelDirectory = Path.Combine(_directory, "svd");

        Assert.Equal(0, await RunAsync("train", "--data", Data, "--model", "svd", "--holdout", "microsoft", "--out", modelDirectory));

        var manifest = Recommendation.Models.ModelDirectory.Load(modelDirectory).Manifest;
        Assert.InRange(manifest.Metrics["ndcg@10"], 0.0, 1.0);
        Assert.True(manifest.Metrics["evaluated_users"] > 0);
        // The rating errors eval prints for SVD: a 1–5 scale keeps a sane model's RMSE well under 2.
        Assert.InRange(manifest.Metrics["rmse"], 0.1, 2.0);
        Assert.InRange(manifest.Metrics["mae"], 0.1, manifest.Metrics["rmse"]);
    }

    [Fact]
    public async Task Holdout_records_no_rating_metrics_for_a_ranking_model()
    {
        Assert.Equal(0, await RunAsync("data", "synth", "--out", Data, "--users", "120", "--items", "150", "--per-user", "20"));
        var modelDirectory = Path.Combine(_directory, "pop");

        Assert.Equal(0, await RunAsync("train", "--data", Data, "--model", "pop", "--holdout", "microsoft", "--out", modelDirectory));

        var metrics = Recommendation.Models.ModelDirectory.Load(modelDirectory).Manifest.Metrics;
        Assert.Contains("ndcg@10", metrics.Keys);
        Assert.DoesNotContain("rmse", metrics.Keys);
    }

    [Fact]
    public async Task Saving_replaces_a_model_directory_but_never_a_folder_of_other_files_the_current_directory_or_a_file()
    {
        Assert.Equal(0, await RunAsync("data", "synth", "--out", Data, "--users", "60", "--items", "80", "--per-user", "10"));
        var model = Path.Combine(_directory, "model");
        Assert.Equal(0, await RunAsync("train", "--data", Data, "--model", "pop", "--out", model));
        // A model directory (with an ONNX export beside it) is replaced.
        await File.WriteAllTextAsync(Path.Combine(model, "model.onnx"), "exported");
        Assert.Equal(0, await RunAsync("train", "--data", Data, "--model", "pop", "--out", model));

        var folder = Path.Combine(_directory, "work");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        await File.WriteAllTextAsync(Path.Combine(folder, "canary.txt"), "precious");
        Assert.Equal(1, await RunAsync("train", "--data", Data, "--model", "pop", "--out", folder));
        Assert.Equal("precious", await File.ReadAllTextAsync(Path.Combine(folder, "canary.txt")));
        Assert.True(Directory.Exists(Path.Combine(folder, "sub")));

        var file = Path.Combine(_directory, "a-file");
        await File.WriteAllTextAsync(file, "not a directory");
        Assert.Equal(1, await RunAsync("train", "--data", Data, "--model", "pop", "--out", file));
        Assert.Equal("not a directory", await File.ReadAllTextAsync(file));

        var current = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = model;
            Assert.Equal(1, await RunAsync("train", "--data", Data, "--model", "pop", "--out", "."));
            Assert.True(File.Exists(Path.Combine(model, "manifest.json")));
        }
        finally
        {
            Environment.CurrentDirectory = current;
        }
    }

    [Fact]
    public async Task Out_of_range_settings_are_usage_errors_named_by_their_option()
    {
        // Exit code 2, as for an unknown option; the message names --epochs / --users (checked by hand: the console
        // line reads "error: --epochs: 0 must be greater than or equal to 1").
        Assert.Equal(2, await RunAsync("data", "synth", "--out", Data, "--users", "0"));
        Assert.Equal(0, await RunAsync("data", "synth", "--out", Data, "--users", "40", "--items", "60", "--per-user", "8"));
        Assert.Equal(2, await RunAsync("train", "--data", Data, "--model", "bpr", "--epochs", "0", "--out", Path.Combine(_directory, "m")));
        Assert.False(Directory.Exists(Path.Combine(_directory, "m")));
    }

    [Theory]
    [InlineData("lightgcn", "0")]
    [InlineData("bpr", "-5")]
    public async Task A_bad_batch_size_is_a_usage_error_naming_batch_size(string model, string batch)
    {
        Assert.Equal(0, await RunAsync("data", "synth", "--out", Data, "--users", "40", "--items", "60", "--per-user", "8"));
        var output = Path.Combine(_directory, "m");

        var (code, printed) = await CapturedConsole.RunAsync(() => RunAsync("train", "--data", Data, "--model", model, "--epochs", "1", "--batch-size", batch, "--out", output));

        Assert.Equal(2, code);
        Assert.Contains("--batch-size", printed, StringComparison.Ordinal);
        Assert.Contains("positive", printed, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public async Task The_batch_size_option_reaches_the_trainer_and_the_manifest()
    {
        Assert.Equal(0, await RunAsync("data", "synth", "--out", Data, "--users", "40", "--items", "60", "--per-user", "8"));
        var output = Path.Combine(_directory, "lgcn");

        Assert.Equal(0, await RunAsync("train", "--data", Data, "--model", "lightgcn", "--epochs", "2", "--factors", "8", "--validation-fraction", "0", "--batch-size", "100", "--out", output));

        Assert.Equal(100, Recommendation.Models.ModelDirectory.Load(output).Manifest.Parameters["batch_size"]);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static Task<int> RunAsync(params string[] args) =>
        new RootCommand { DataCommand.Create(), TrainCommand.Create() }.Parse(args).InvokeAsync();
}
