using System.CommandLine;
using Orleans.LlmRec.Cli.Commands;

namespace Orleans.LlmRec.Cli.Tests;

/// <summary><c>llmrec train --holdout</c> records in the manifest what <c>llmrec eval</c> reports for the same split.</summary>
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

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static Task<int> RunAsync(params string[] args) =>
        new RootCommand { DataCommand.Create(), TrainCommand.Create() }.Parse(args).InvokeAsync();
}
