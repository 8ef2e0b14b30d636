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
        data.Required = false;
        var format = CliOptions.Format();
        var trainFile = new Option<string?>("--train") { Description = "A given split's training file (with --test, instead of --data and --protocol): LightGCN's train.txt line format (user item item ...) or a user,item[,rating,timestamp] CSV." };
        var testFile = new Option<string?>("--test") { Description = "A given split's test file, in either format; every test interaction is relevant." };
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
            data, format, trainFile, testFile, models, protocol, k, folds, threshold, output,
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
            var (trainPath, testPath) = (result.GetValue(trainFile), result.GetValue(testFile));
            List<EvaluationRecord> records;
            if (trainPath is not null || testPath is not null)
            {
                if (trainPath is null || testPath is null) throw new CliUsageException("Give both --train and --test (a given split), or --data.");
                if (result.GetValue(data) is not null || result.GetResult(protocol) is { Implicit: false } || llmOptions.Requested(result, chosen))
                {
                    throw new CliUsageException("--train/--test is a given split: leave out --data, --protocol and the LLM options.");
                }
                records = EvaluateFixedSplit(trainPath, testPath, kinds, settings, ks, result.GetValue(threshold), ct);
                ResultsTable.Print(records[0].Dataset, records[0].Protocol, records.Select(r => (r.Model, (IReadOnlyDictionary<string, double>)r.Metrics, r.TrainingSeconds)), ks[0]);
                await WriteAsync(result.GetValue(output), records, ct);
                return 0;
            }
            if (result.GetValue(data) is null) throw new CliUsageException("Give --data (with --protocol), or --train and --test (a given split).");
            var dataset = ConsoleUi.LoadDataset(result.GetValue(data)!, result.GetValue(format)!);
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
            await WriteAsync(result.GetValue(output), records, ct);
            return 0;
        }, cancellationToken));
        return command;
    }

    private static async Task WriteAsync(string? path, List<EvaluationRecord> records, CancellationToken ct)
    {
        if (path is null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(records, Json), ct);
        AnsiConsole.MarkupLineInterpolated($"Wrote {records.Count} result(s) to {path}");
    }

    /// <summary>
    /// A published split as given: trained on the train file, measured on the test file with every test item relevant
    /// and the user's training items left out (the LightGCN/NGCF protocol; Recall@K = hits / |test items|).
    /// </summary>
    private static List<EvaluationRecord> EvaluateFixedSplit(string trainPath, string testPath, List<ModelKind> kinds, TrainerSettings settings, int[] ks, float? threshold, CancellationToken ct)
    {
        FixedSplit fixedSplit = null!;
        AnsiConsole.Status().Start($"Loading {trainPath} and {testPath} ...", _ => fixedSplit = FixedSplitLoader.Load(trainPath, testPath));
        var (dataset, split, skipped) = fixedSplit;
        AnsiConsole.MarkupLineInterpolated($"Loaded split [bold]{dataset.Name}[/]: {dataset.UserCount:N0} users, {dataset.ItemCount:N0} items, {split.Train.Length:N0} train, {split.Test.Length:N0} test interactions");
        if (skipped > 0) AnsiConsole.MarkupLineInterpolated($"[yellow]{skipped:N0} test interaction(s) of users without training data left out[/]");
        const string protocolName = "given split";
        return HoldoutEvaluation.Compare(dataset, split, kinds, settings, ks, threshold, ConsoleUi.Train, ct)
            .Select(e => EvaluationRecord.From(e, dataset.Name, protocolName, ks[0], settings.Seed))
            .ToList();
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
