using System.CommandLine;
using Orleans.LlmRec.Scoring;
using Spectre.Console;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>
/// <c>llmrec recommend</c>: every user's top-K (or the users of a file) through the ONNX scorer's batching, written
/// to a CSV or JSON-lines file. Each list is the one <c>llmrec score --user U --data D</c> prints for that user.
/// </summary>
internal static class RecommendCommand
{
    // Large inference batches: nothing here waits on latency, and a batch's MatMul is cheaper per user than one row.
    private const int BatchSize = 256;

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory written by 'llmrec train' (exported on the fly if it has no model.onnx).", Required = true };
        var data = CliOptions.Data();
        data.Description = "The data set the model was trained on: each user's items in it are left out of their list.";
        var format = CliOptions.Format();
        var users = new Option<string>("--users") { Description = "'all' (every user of the model) or a file with one user id per line.", DefaultValueFactory = _ => "all" };
        var k = new Option<int>("--k") { Description = "Items per user.", DefaultValueFactory = _ => 20 };
        var output = new Option<string>("--out") { Description = "File to write: .csv (user,rank,item,score) or .jsonl (one {user, items, scores} per line).", Required = true };
        var provider = new Option<ScoringExecutionProvider>("--provider") { Description = "ONNX Runtime execution provider (Cuda falls back to Cpu when unavailable).", DefaultValueFactory = _ => ScoringExecutionProvider.Cpu };
        var command = new Command("recommend", "Write the top-K items of every user (or of the users in a file) through the ONNX scorer, seen items left out.")
        {
            model, data, format, users, k, output, provider,
        };
        command.SetAction((result, cancellationToken) => ConsoleUi.RunAsync(async ct =>
        {
            var outPath = result.GetValue(output)!;
            RecommendationWriter.FormatOf(outPath);
            var top = result.GetValue(k);
            if (top < 1) throw new CliUsageException("--k must be positive.");
            var options = new ScorerOptions { ExecutionProvider = result.GetValue(provider), MaxBatchSize = BatchSize, QueueCapacity = 4 * BatchSize };
            await using var loaded = await LoadedModel.OpenAsync(result.GetValue(model)!, options, ct);
            var dataset = ConsoleUi.LoadDataset(result.GetValue(data)!, result.GetValue(format)!);
            loaded.CheckTrainedOn(dataset);
            var requests = new ModelUserRequests(loaded.Trained, loaded.Users, loaded.Items, dataset, top);
            var chosen = result.GetValue(users) is "all" or null ? requests.AllUsers() : requests.ReadUserFile(result.GetValue(users)!);

            var written = 0;
            BatchProgress last = default;
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask($"recommend top {top}", maxValue: Math.Max(1, chosen.Length));
                    var progress = new SynchronousProgress<BatchProgress>(p =>
                    {
                        last = p;
                        task.Value = p.Done;
                        task.Description = $"recommend top {top}: {p.Done:N0}/{p.Total:N0} users, {p.UsersPerSecond:N0} users/s";
                    });
                    using var writer = RecommendationWriter.Create(outPath);
                    await foreach (var list in BatchRecommender.RecommendAsync(loaded.Scorer, chosen, requests.For, progress, cancellationToken: ct))
                    {
                        writer.Write(loaded.Users.GetExternalId(list.User), list.Items, loaded.Items.GetExternalId);
                        written++;
                    }
                    task.Value = task.MaxValue;
                });
            AnsiConsole.MarkupLineInterpolated(
                $"Wrote top {top} of {written:N0} users ({loaded.Manifest.Kind} {loaded.Manifest.Version}, {loaded.Scorer.ExecutionProvider}) to {Path.GetFullPath(outPath)} in {last.Elapsed.TotalSeconds:F1} s ({last.UsersPerSecond:N0} users/s)");
            return 0;
        }, cancellationToken));
        return command;
    }
}
