using System.CommandLine;
using System.Text.Json;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;
using Spectre.Console;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>One row of <c>llmrec eval</c>'s JSON output.</summary>
internal sealed record EvaluationRecord
{
    public required string Dataset { get; init; }
    public required string Protocol { get; init; }
    public required string Model { get; init; }
    public required int K { get; init; }
    public required int Seed { get; init; }
    public required Dictionary<string, double> Metrics { get; init; }
    public required double TrainingSeconds { get; init; }
    public int EvaluatedUsers { get; init; }
    public int TrainInteractions { get; init; }
    public int TestInteractions { get; init; }
    public Dictionary<string, double> Parameters { get; init; } = [];
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
    public string Machine { get; init; } = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}";

    public static EvaluationRecord From(ModelEvaluation evaluation, string dataset, string protocol, int k, int seed) => new()
    {
        Dataset = dataset,
        Protocol = protocol,
        Model = evaluation.Model,
        K = k,
        Seed = seed,
        Metrics = evaluation.Metrics,
        TrainingSeconds = evaluation.TrainingSeconds,
        EvaluatedUsers = evaluation.EvaluatedUsers,
        TrainInteractions = evaluation.TrainInteractions,
        TestInteractions = evaluation.TestInteractions,
        Parameters = evaluation.Parameters,
    };
}

/// <summary><c>llmrec eval</c>: train each model on a protocol's train split and measure it on the test split.</summary>
internal static class EvalCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Command Create()
    {
        var data = CliOptions.Data();
        var format = CliOptions.Format();
        var models = new Option<string>("--model")
        {
            Description = $"Comma-separated models to compare: {ModelKindNames.List}.",
            DefaultValueFactory = _ => "pop,bpr,lightgcn",
        };
        var protocol = new Option<string>("--protocol")
        {
            Description = "microsoft (stratified by item 75/25, all test ratings relevant), user-stratified, random, loo (leave latest out), temporal (80/20 by time), cv (k-fold RMSE/MAE), paper-loo (arXiv 2507.07251: one random rating per user held out; HR@1/5/10 and cumulative HR over held-out ratings ≥ 4).",
            DefaultValueFactory = _ => "microsoft",
        };
        protocol.AcceptOnlyFromAmong(EvaluationProtocols.Names);
        var k = new Option<int[]>("--k") { Description = "Cut-offs; the first is the one tabulated.", DefaultValueFactory = _ => [10], AllowMultipleArgumentsPerToken = true };
        var folds = new Option<int>("--folds") { Description = "Folds for --protocol cv.", DefaultValueFactory = _ => 5 };
        var threshold = new Option<float?>("--relevant-from") { Description = "Only test ratings at or above this are relevant (default: all)." };
        var output = new Option<string?>("--out") { Description = "Write the results as JSON to this file." };
        var trainerOptions = new CliOptions.TrainerOptionSet();
        var llmOptions = new LlmEvaluationOptions();
        var command = new Command("eval", "Compare models on a data set with a standard protocol; prints a table and optionally writes JSON.")
        {
            data, format, models, protocol, k, folds, threshold, output,
        };
        trainerOptions.AddTo(command);
        llmOptions.AddTo(command);
        command.SetAction((result, cancellationToken) => ConsoleUi.RunAsync(async ct =>
        {
            var kinds = result.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(CliOptions.ParseModel).ToList();
            var ks = result.GetValue(k)!;
            if (ks.Length == 0 || ks.Any(x => x <= 0)) throw new CliUsageException("--k must be positive.");
            var settings = trainerOptions.Read(result);
            var chosen = EvaluationProtocols.Parse(result.GetValue(protocol)!);
            var dataset = ConsoleUi.LoadDataset(result.GetValue(data)!, result.GetValue(format)!);
            List<EvaluationRecord> records;
            if (llmOptions.Requested(result, chosen))
            {
                records = await LlmEvaluation.RunAsync(result, llmOptions, dataset, chosen, kinds, settings, ks, result.GetValue(threshold), ct);
            }
            else
            {
                records = chosen == EvaluationProtocol.CrossValidation
                    ? CrossValidate(dataset, kinds, settings, result.GetValue(folds), ct)
                    : Evaluate(dataset, chosen, kinds, settings, ks, result.GetValue(threshold), ct);
                ResultsTable.Print(dataset.Name, chosen.ToName(), records.Select(r => (r.Model, (IReadOnlyDictionary<string, double>)r.Metrics, r.TrainingSeconds)), ks[0]);
            }
            if (result.GetValue(output) is { } path)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                await File.WriteAllTextAsync(path, JsonSerializer.Serialize(records, Json), ct);
                AnsiConsole.MarkupLineInterpolated($"Wrote {records.Count} result(s) to {path}");
            }
            return 0;
        }, cancellationToken));
        return command;
    }

    private static List<EvaluationRecord> Evaluate(RatingsDataset dataset, EvaluationProtocol protocol, List<ModelKind> kinds, TrainerSettings settings, int[] ks, float? threshold, CancellationToken ct)
    {
        var split = protocol.Split(dataset.Interactions, settings.Seed);
        AnsiConsole.MarkupLineInterpolated($"Split {protocol.ToName()}: {split.Train.Length:N0} train, {split.Test.Length:N0} test interactions");
        return HoldoutEvaluation.Compare(dataset, split, kinds, settings, ks, threshold, ConsoleUi.Train, ct)
            .Select(e => EvaluationRecord.From(e, dataset.Name, protocol.ToName(), ks[0], settings.Seed))
            .ToList();
    }

    private static List<EvaluationRecord> CrossValidate(RatingsDataset dataset, List<ModelKind> kinds, TrainerSettings settings, int folds, CancellationToken ct)
    {
        if (folds < 2) throw new CliUsageException("--folds must be at least 2.");
        var records = new List<EvaluationRecord>();
        foreach (var kind in kinds)
        {
            if (!kind.PredictsRatings()) throw new CliUsageException($"--protocol cv measures rating prediction; '{kind.ToName()}' does not predict ratings (use svd or svdpp).");
            var trainer = ModelTrainers.Create(kind, settings);
            RatingCrossValidationResult cv = null!;
            AnsiConsole.Progress().AutoClear(false).Start(context =>
            {
                var task = context.AddTask($"{folds}-fold CV {kind.ToName()}", maxValue: folds);
                var progress = new SynchronousProgress<RatingFoldResult>(fold =>
                {
                    task.Increment(1);
                    task.Description = $"{folds}-fold CV {kind.ToName()}: fold {fold.Fold + 1} RMSE {fold.Rmse:F4}";
                });
                cv = CrossValidation.EvaluateRatings(dataset, trainer, folds, settings.Seed, progress, ct);
            });
            records.Add(new EvaluationRecord
            {
                Dataset = dataset.Name,
                Protocol = $"cv{folds}",
                Model = kind.ToName(),
                K = 0,
                Seed = settings.Seed,
                Metrics = cv.ToDictionary(),
                TrainingSeconds = cv.TotalSeconds,
                TrainInteractions = dataset.Interactions.Length,
            });
        }
        return records;
    }
}
