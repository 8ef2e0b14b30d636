using System.CommandLine;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Onnx;
using Spectre.Console;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary><c>llmrec export</c>: writes a trained model directory as ONNX scoring graphs (contract: onnx/README.md).</summary>
internal static class ExportCommand
{
    public const string DefaultFileName = "model.onnx";

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory written by 'llmrec train'.", Required = true };
        var output = new Option<string?>("--out") { Description = $"ONNX file to write (default: {DefaultFileName} inside the model directory); the candidate graph goes beside it." };
        var command = new Command("export", "Export a trained model to ONNX (full-catalogue and candidate-list scoring graphs with in-graph TopK).") { model, output };
        command.SetAction((result, cancellationToken) => ConsoleUi.RunAsync(_ =>
        {
            var directory = result.GetValue(model)!;
            var (trained, _, _, manifest) = ModelDirectory.Load(directory);
            var path = result.GetValue(output) ?? Path.Combine(directory, DefaultFileName);
            var written = OnnxExporter.Export(trained, manifest, path);
            AnsiConsole.MarkupLineInterpolated($"Exported [bold]{manifest.Kind}[/] {manifest.Version}: {written.FullCataloguePath} ({written.FullCatalogueBytes:N0} bytes), {written.CandidatesPath} ({written.CandidatesBytes:N0} bytes)");
            if (written.ItemScoresPath is { } itemScores) AnsiConsole.MarkupLineInterpolated($"Serving graph (scoring contract 2): {itemScores} ({written.ItemScoresBytes:N0} bytes)");
            return Task.FromResult(0);
        }, cancellationToken));
        return command;
    }
}
