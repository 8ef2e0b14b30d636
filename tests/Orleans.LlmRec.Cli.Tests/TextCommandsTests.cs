using System.CommandLine;
using Orleans.LlmRec.Cli.Commands;
using Orleans.LlmRec.Recommendation.ColdStart;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Cli.Tests;

/// <summary>
/// <c>llmrec data synth --text</c>, <c>train</c>'s text map and <c>eval-cold</c> on a tiny synthetic catalogue, with
/// the real MiniLM encoder.
/// </summary>
[Collection(ConsoleCaptureCollection.Name)]
public sealed class TextCommandsTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "llmrec-text-" + Guid.NewGuid().ToString("N"));

    private string Data => Path.Combine(_directory, "data");

    [Fact]
    public async Task Eval_cold_reports_every_placement_for_the_held_out_items()
    {
        Assert.Equal(0, await RunAsync("data", "synth", "--out", Data, "--users", "80", "--items", "120", "--per-user", "15", "--text"));
        Assert.True(File.Exists(Path.Combine(Data, ItemTextOptions.DescriptionsFile)));

        var (code, printed) = await CapturedConsole.RunAsync(() => RunAsync("eval-cold", "--data", Data, "--new-items", "0.2", "--epochs", "5", "--k", "5", "10"));

        Assert.Equal(0, code);
        Assert.Contains("24 new items", printed, StringComparison.Ordinal);
        foreach (var row in new[] { "random placement", "popularity (prior from tags)", "tags (genre centroids)", "text ridge (title + genres;", "text ridge (title + genres + description;", "text kNN" })
        {
            Assert.Contains(row, printed, StringComparison.Ordinal);
        }
        Assert.Contains("NDCG@10", printed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_saves_a_text_map_when_the_data_has_descriptions_and_none_when_told_off()
    {
        Assert.Equal(0, await RunAsync("data", "synth", "--out", Data, "--users", "60", "--items", "80", "--per-user", "10", "--text"));
        var withMap = Path.Combine(_directory, "with-map");
        var withoutMap = Path.Combine(_directory, "without-map");

        Assert.Equal(0, await RunAsync("train", "--data", Data, "--model", "bpr", "--epochs", "3", "--factors", "8", "--out", withMap));
        Assert.Equal(0, await RunAsync("train", "--data", Data, "--model", "bpr", "--epochs", "3", "--factors", "8", "--text-map", "off", "--out", withoutMap));

        var manifest = ModelDirectory.ReadManifest(withMap);
        var map = ModelDirectory.LoadTextMap(withMap, manifest);
        Assert.NotNull(map);
        Assert.Equal((384, 8, "minilm/all-minilm-l6-v2", ItemText.Recipe), (map.TextDimension, map.ModelDimension, map.Encoder, map.TextRecipe));
        Assert.InRange(map.FittedItems, 40, 80);
        Assert.Null(ModelDirectory.LoadTextMap(withoutMap, ModelDirectory.ReadManifest(withoutMap)));
    }

    private static Task<int> RunAsync(params string[] args)
    {
        var root = new RootCommand { DataCommand.Create(), TrainCommand.Create(), EvalColdCommand.Create() };
        return root.Parse(args).InvokeAsync();
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }
}
