using System.CommandLine;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;
using Spectre.Console;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary><c>llmrec train</c>: trains one model and writes a model directory the scorer and exporter read.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = CliOptions.Data();
        var format = CliOptions.Format();
        var model = new Option<string>("--model") { Description = $"Model: {ModelKindNames.List}.", Required = true };
        var output = new Option<string>("--out") { Description = "Model directory to write (replaced if it exists).", DefaultValueFactory = _ => Path.Combine("onnx", "models", "current") };
        var holdout = new Option<string?>("--holdout")
        {
            Description = "Hold out a test split with this protocol, evaluate on it and record the metrics in the manifest; by default the model trains on all data.",
        };
        // cv makes k splits and paper-loo is scored by hit rates, not by the ranking metrics a manifest records.
        holdout.AcceptOnlyFromAmong([.. EvaluationProtocols.Names.Where(n => n is not ("cv" or "paper-loo"))]);
        var k = new Option<int>("--k") { Description = "K for the recorded metrics.", DefaultValueFactory = _ => 10 };
        var trainerOptions = new CliOptions.TrainerOptionSet();
        var textMap = new Option<string>("--text-map")
        {
            Description = "Fit the text map (item text → item vector and bias, for items published later) and save it as text-map.bin: auto = when the data has item descriptions (--descriptions, --tmdb, or descriptions.csv in the data folder); on = also from titles and genres alone.",
            DefaultValueFactory = _ => "auto",
        };
        textMap.AcceptOnlyFromAmong("auto", "on", "off");
        var text = new ItemTextOptions();

        var command = new Command("train", "Train a model and save it as a model directory (manifest.json, items.txt, users.txt, weights.bin).")
        {
            data, format, model, output, holdout, k, textMap,
        };
        trainerOptions.AddTo(command);
        text.AddTo(command);
        command.SetAction((result, cancellationToken) => ConsoleUi.RunAsync(async _ =>
        {
            var kind = CliOptions.ParseModel(result.GetValue(model)!);
            var settings = trainerOptions.Read(result);
            // Refused before training, not after: saving replaces the directory whole.
            ModelDirectory.CheckReplaceable(result.GetValue(output)!);
            var dataPath = result.GetValue(data)!;
            var fitTextMap = result.GetValue(textMap) switch { "on" => true, "off" => false, _ => text.HasDescriptionSource(result, dataPath) };
            var dataset = ConsoleUi.LoadDataset(dataPath, result.GetValue(format)!);
            if (fitTextMap) dataset = text.Attach(result, dataset, dataPath);
            var train = dataset;
            Dictionary<string, double>? metrics = null;
            var protocolName = result.GetValue(holdout);
            EvaluationProtocol? protocol = protocolName is null ? null : EvaluationProtocols.Parse(protocolName);
            Recommendation.Data.DataSplit? split = null;
            if (protocol is { } p)
            {
                split = p.Split(dataset.Interactions, settings.Seed);
                train = dataset.WithInteractions(split.Train);
            }
            var trainer = ModelTrainers.Create(kind, settings);
            var (trained, seconds) = ConsoleUi.Train(trainer, train, cancellationToken);
            if (split is not null)
            {
                (metrics, var evaluatedUsers) = HoldoutEvaluation.Measure(trained, train.ToMatrix(), split, [result.GetValue(k)], threshold: null);
                metrics["evaluated_users"] = evaluatedUsers;
                ResultsTable.Print(dataset.Name, protocol!.Value.ToName(), [(kind.ToName(), metrics, seconds)], result.GetValue(k));
            }
            var directory = result.GetValue(output)!;
            var manifest = ModelDirectory.CreateManifest(trained, dataset.Users, dataset.Items, dataset.Name, settings.Seed, seconds, metrics);
            var map = fitTextMap ? await TextMapFitting.FitAsync(text, result, trained, train, manifest.Version, cancellationToken) : null;
            ModelDirectory.Save(directory, trained, dataset.Users, dataset.Items, manifest, map);
            AnsiConsole.MarkupLineInterpolated($"Saved [bold]{kind.ToName()}[/] version [bold]{manifest.Version}[/] to {Path.GetFullPath(directory)} ({seconds:F1} s of training)");
            return 0;
        }, cancellationToken));
        return command;
    }
}
