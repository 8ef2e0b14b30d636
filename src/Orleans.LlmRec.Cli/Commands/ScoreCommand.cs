using System.CommandLine;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.FoldIn;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Onnx;
using Orleans.LlmRec.Scoring;
using Spectre.Console;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>
/// <c>llmrec score</c>: top-K items for a user through ONNX Runtime, the way the service scores them. A known user
/// is scored with their trained vector; <c>--items</c> folds a user in from item ids instead (a new user, or a known
/// one with extra clicks).
/// </summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory written by 'llmrec train' (exported on the fly if it has no model.onnx).", Required = true };
        var user = new Option<string?>("--user") { Description = "External user id, as in the training data." };
        var items = new Option<string?>("--items") { Description = "Comma-separated external item ids to fold a user in from, instead of a trained user vector (a new user, or a known one with new clicks)." };
        var k = new Option<int>("--k") { Description = "How many items.", DefaultValueFactory = _ => 10 };
        var data = new Option<string?>("--data") { Description = "Data set the model was trained on: shows titles and leaves out the user's seen items." };
        var format = CliOptions.Format();
        var provider = new Option<ScoringExecutionProvider>("--provider") { Description = "ONNX Runtime execution provider (Cuda falls back to Cpu when unavailable).", DefaultValueFactory = _ => ScoringExecutionProvider.Cpu };
        var command = new Command("score", "Score a user's top-K items with the exported ONNX model.") { model, user, items, k, data, format, provider };
        command.SetAction((result, cancellationToken) => ConsoleUi.RunAsync(async ct =>
        {
            var directory = result.GetValue(model)!;
            var (trained, users, itemMap, manifest) = ModelDirectory.Load(directory);
            var onnxPath = Path.Combine(directory, ExportCommand.DefaultFileName);
            if (!File.Exists(onnxPath)) OnnxExporter.Export(trained, manifest, onnxPath);
            var userId = result.GetValue(user);
            var itemIds = result.GetValue(items);
            if (userId is null && itemIds is null) throw new CliUsageException("Give --user, --items, or both.");
            var dataset = result.GetValue(data) is { } dataPath ? ConsoleUi.LoadDataset(dataPath, result.GetValue(format)!) : null;

            float[] vector;
            float bias;
            var excluded = new List<int>();
            if (itemIds is not null)
            {
                var interactions = new List<FoldInInteraction>();
                foreach (var id in itemIds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (!itemMap.TryGetIndex(id, out var index)) throw new CliUsageException($"--items: item '{id}' is not in the model's catalogue.");
                    interactions.Add(new FoldInInteraction(index, 1f));
                    excluded.Add(index);
                }
                var folded = new UserFoldIn(trained).Compute(interactions.ToArray());
                (vector, bias) = (folded.Vector, folded.Bias);
            }
            else
            {
                if (!users.TryGetIndex(userId!, out var index)) throw new CliUsageException($"--user: user '{userId}' is not in the model (fold them in with --items).");
                (vector, bias) = (trained.UserVector(index).ToArray(), trained.UserBias[index]);
            }
            if (dataset is not null && userId is not null && dataset.Users.TryGetIndex(userId, out var dataUser))
            {
                foreach (var x in dataset.Interactions)
                {
                    if (x.User == dataUser && itemMap.TryGetIndex(dataset.Items.GetExternalId(x.Item), out var seen)) excluded.Add(seen);
                }
            }

            await using var scorer = OnnxScorer.Load(onnxPath, new ScorerOptions { ExecutionProvider = result.GetValue(provider) });
            if (scorer.Model.Version != manifest.Version)
            {
                // The model directory was retrained since its last export: re-export and swap the fresh graph in.
                OnnxExporter.Export(trained, manifest, onnxPath);
                await scorer.SwapAsync(onnxPath, cancellationToken: ct);
            }
            var scored = await scorer.ScoreAsync(new ScoringRequest(vector, bias, result.GetValue(k)) { ExcludedItems = excluded.Distinct().ToArray() }, ct);
            var table = new Table().Title($"{manifest.Kind} {scored.ModelVersion} on {scorer.ExecutionProvider}").Border(TableBorder.Rounded)
                .AddColumn("#").AddColumn("item").AddColumn(new TableColumn("score").RightAligned()).AddColumn("title");
            var rank = 0;
            foreach (var item in scored.Items)
            {
                var externalId = itemMap.GetExternalId(item.Item);
                var title = dataset is not null && dataset.Items.TryGetIndex(externalId, out var di) && dataset.ItemInfo.TryGetValue(di, out var info) ? info.ToPromptLine() : "";
                table.AddRow((++rank).ToString(), Markup.Escape(externalId), item.Score.ToString("F4"), Markup.Escape(title));
            }
            AnsiConsole.Write(table);
            return 0;
        }, cancellationToken));
        return command;
    }
}
