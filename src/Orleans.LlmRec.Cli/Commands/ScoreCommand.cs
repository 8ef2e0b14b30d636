using System.CommandLine;
using Orleans.LlmRec.Recommendation.FoldIn;
using Orleans.LlmRec.Scoring;
using Spectre.Console;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>
/// <c>llmrec score</c>: top-K items for a user through ONNX Runtime, the way the service scores them. A known user
/// (<c>--user</c>) is scored with their trained vector; <c>--items</c> alone folds a new user in from item ids; both
/// together fold the known user in from their training interactions (read from <c>--data</c>) plus the given items as
/// new clicks, as the service does when a known user clicks.
/// </summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory written by 'llmrec train' (exported on the fly if it has no model.onnx).", Required = true };
        var user = new Option<string?>("--user") { Description = "External user id, as in the training data." };
        var items = new Option<string?>("--items") { Description = "Comma-separated external item ids (clicks) to fold a user in from: alone, a new user; with --user, the user's training interactions from --data plus these items, folded in together (a known user with new clicks)." };
        var k = new Option<int>("--k") { Description = "How many items.", DefaultValueFactory = _ => 10 };
        var data = new Option<string?>("--data") { Description = "Data set the model was trained on: shows titles and leaves out the user's seen items; required when --user and --items are both given." };
        var format = CliOptions.Format();
        var provider = new Option<ScoringExecutionProvider>("--provider") { Description = "ONNX Runtime execution provider (Cuda falls back to Cpu when unavailable).", DefaultValueFactory = _ => ScoringExecutionProvider.Cpu };
        var output = new Option<string>("--output") { Description = "table (for people), json (one object: user, items, scores) or csv (user,rank,item,score), the layouts 'llmrec recommend' writes.", DefaultValueFactory = _ => "table" };
        output.AcceptOnlyFromAmong("table", "json", "csv");
        var command = new Command("score", "Score a user's top-K items with the exported ONNX model.") { model, user, items, k, data, format, provider, output };
        command.SetAction((result, cancellationToken) => ConsoleUi.RunAsync(async ct =>
        {
            var machine = result.GetValue(output) is "json" or "csv";
            await using var loaded = await LoadedModel.OpenAsync(result.GetValue(model)!, new ScorerOptions { ExecutionProvider = result.GetValue(provider) }, ct);
            var (trained, users, itemMap, manifest) = (loaded.Trained, loaded.Users, loaded.Items, loaded.Manifest);
            var userId = result.GetValue(user);
            var itemIds = result.GetValue(items);
            if (userId is null && itemIds is null) throw new CliUsageException("Give --user, --items, or both.");
            var dataset = result.GetValue(data) is { } dataPath ? ConsoleUi.LoadDataset(dataPath, result.GetValue(format)!, quiet: machine) : null;
            if (dataset is not null) loaded.CheckTrainedOn(dataset);

            float[] vector;
            float bias;
            var excluded = new List<int>();
            if (itemIds is not null)
            {
                // One signal per item, as the service folds a history in: the user's training interactions first (their
                // ratings for rating models, clicks otherwise), then the given items as clicks where not already there.
                var interactions = new Dictionary<int, FoldInInteraction>();
                if (userId is not null)
                {
                    if (dataset is null) throw new CliUsageException("--user with --items folds the user's training interactions in with the items: give --data, the data set the model was trained on.");
                    if (!users.TryGetIndex(userId, out _)) throw new CliUsageException($"--user: user '{userId}' is not in the model (give --items alone to fold in a new user).");
                    if (!dataset.Users.TryGetIndex(userId, out var historyUser)) throw new CliUsageException($"--user: user '{userId}' is not in --data; is it the data set the model was trained on?");
                    foreach (var x in dataset.Interactions)
                    {
                        if (x.User != historyUser || !itemMap.TryGetIndex(dataset.Items.GetExternalId(x.Item), out var seen)) continue;
                        interactions[seen] = FoldInInteraction.FromRating(trained.Kind, seen, x.Rating);
                    }
                }
                foreach (var id in itemIds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (!itemMap.TryGetIndex(id, out var index)) throw new CliUsageException($"--items: item '{id}' is not in the model's catalogue.");
                    interactions.TryAdd(index, FoldInInteraction.Click(index));
                    excluded.Add(index);
                }
                var folded = new UserFoldIn(trained).Compute(interactions.Values.ToArray());
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

            var scorer = loaded.Scorer;
            var scored = await scorer.ScoreAsync(new ScoringRequest(vector, bias, result.GetValue(k)) { ExcludedItems = excluded.Distinct().ToArray() }, ct);
            if (machine)
            {
                // Raw text on the console's own writer: no markup, no wrapping, and captured where the console is swapped.
                using var writer = new RecommendationWriter(AnsiConsole.Console.Profile.Out.Writer, result.GetValue(output) == "csv" ? RecommendationFormat.Csv : RecommendationFormat.JsonLines);
                writer.Write(userId ?? "", scored.Items, itemMap.GetExternalId);
                return 0;
            }
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
