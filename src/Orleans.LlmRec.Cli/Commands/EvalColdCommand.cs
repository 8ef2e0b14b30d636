using System.CommandLine;
using System.Diagnostics;
using Orleans.LlmRec.Recommendation.ColdStart;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;
using Orleans.LlmRec.Text;
using Spectre.Console;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>
/// <c>llmrec eval-cold</c>: how well new items are placed from their text. Holds out a share of the items as new
/// (all their interactions removed from training), trains on the rest, places the new items from what a publisher
/// would give (title, genres, description) and ranks them for the users who interacted with them
/// (<see cref="ColdStartEvaluation"/> states the protocol).
/// </summary>
internal static class EvalColdCommand
{
    public static Command Create()
    {
        var data = CliOptions.Data();
        var format = CliOptions.Format();
        var model = new Option<string>("--model") { Description = "Collaborative model to place new items into.", DefaultValueFactory = _ => "bpr" };
        var share = new Option<double>("--new-items") { Description = "Share of the items (with interactions and text) held out as new.", DefaultValueFactory = _ => 0.1 };
        var ks = new Option<int[]>("--k") { Description = "Cut-offs K of Recall@K and NDCG@K.", DefaultValueFactory = _ => [10, 20], AllowMultipleArgumentsPerToken = true };
        var neighbours = new Option<int>("--neighbours") { Description = "k of the text-kNN placement (nearest trained items by text).", DefaultValueFactory = _ => 20 };
        var text = new ItemTextOptions();
        var trainerOptions = new CliOptions.TrainerOptionSet();
        var command = new Command("eval-cold", "Cold-start measure: hold out items as new, place them from their text (and from tags, popularity, at random), rank them for their users.")
        {
            data, format, model, share, ks, neighbours,
        };
        text.AddTo(command);
        trainerOptions.AddTo(command);
        command.SetAction((result, cancellationToken) => ConsoleUi.RunAsync(async token =>
        {
            var started = Stopwatch.StartNew();
            var kind = CliOptions.ParseModel(result.GetValue(model)!);
            var settings = trainerOptions.Read(result);
            var cutoffs = result.GetValue(ks)!;
            if (cutoffs.Length == 0 || cutoffs.Any(k => k < 1)) throw new CliUsageException("--k needs positive cut-offs.");
            var fraction = result.GetValue(share);
            if (!(fraction is > 0 and < 1)) throw new CliUsageException("--new-items must lie in (0, 1).");
            var path = result.GetValue(data)!;
            var dataset = text.Attach(result, ConsoleUi.LoadDataset(path, result.GetValue(format)!), path);
            if (dataset.ItemInfo.Count == 0) throw new CliUsageException("The data set has no item text (titles): nothing to place new items from.");

            var split = ColdStartSplit.Create(dataset, fraction, settings.Seed);
            var train = dataset.WithInteractions(split.Train);
            AnsiConsole.MarkupLineInterpolated($"New items: {split.NewItems.Length:N0} of {dataset.ItemCount:N0}; {split.Train.Length:N0} training and {split.Test.Length:N0} held-out interactions ({ColdStartEvaluation.EvaluatedUsers(split):N0} users)");
            var (trained, seconds) = ConsoleUi.Train(ModelTrainers.Create(kind, settings), train, token);

            var trainedItems = TrainedItemsWithText(train);
            var newItems = split.NewItems;
            IReadOnlyList<string> TagsOf(int item) => dataset.ItemInfo.TryGetValue(item, out var info) ? info.Genres : [];
            var rows = new List<ColdStartResult>
            {
                ColdStartEvaluation.MeasureRandom(split, cutoffs, settings.Seed),
                ColdStartEvaluation.Measure(trained, split, NewItemPlacements.TagPopularity(train, trainedItems, TagsOf, newItems), cutoffs),
                ColdStartEvaluation.Measure(trained, split, NewItemPlacements.TagCentroids(trained, trainedItems, TagsOf, newItems), cutoffs),
            };

            using var encoder = text.CreateEncoder(result);
            var identity = TextEmbeddingGenerators.IdentityOf(encoder);
            var variants = new List<(string Label, bool WithDescription)> { ("title + genres", false) };
            if (dataset.ItemInfo.Values.Any(i => i.Description is not null)) variants.Add(("title + genres + description", true));
            foreach (var (label, withDescription) in variants)
            {
                var items = trainedItems.Concat(newItems).Distinct().ToArray();
                var vectors = await ItemTextOptions.EmbedAsync(encoder, items.Select(i => ItemText.Of(dataset.ItemInfo[i], withDescription)).ToArray(), label, token);
                var byItem = new Dictionary<int, float[]>(items.Length);
                for (var r = 0; r < items.Length; r++) byItem[items[r]] = vectors[r];
                var map = TextItemMap.Fit(trained, "eval-cold", trainedItems, i => byItem[i], identity);
                rows.Add(ColdStartEvaluation.Measure(trained, split, NewItemPlacements.TextMap(map, i => byItem[i], newItems, $"text ridge ({label}; λ={map.Lambda:G3})"), cutoffs));
                var k = result.GetValue(neighbours);
                rows.Add(ColdStartEvaluation.Measure(trained, split, NewItemPlacements.TextNeighbours(trained, trainedItems, i => byItem[i], newItems, k, $"text kNN ({label}; k={k})"), cutoffs));
            }
            rows.Add(ColdStartEvaluation.Measure(trained, split, NewItemPlacements.HindsightPopularity(dataset, newItems), cutoffs));
            Print(dataset.Name, kind.ToName(), split, cutoffs, rows);
            AnsiConsole.MarkupLineInterpolated($"eval-cold took {started.Elapsed.TotalSeconds:F0} s ({seconds:F1} s training)");
            return 0;
        }, cancellationToken));
        return command;
    }

    /// <summary>Items with at least one training interaction and text: what the model learnt and the map is fitted on.</summary>
    private static int[] TrainedItemsWithText(RatingsDataset train)
    {
        var rated = new bool[train.ItemCount];
        foreach (var x in train.Interactions) rated[x.Item] = true;
        return Enumerable.Range(0, train.ItemCount).Where(i => rated[i] && train.ItemInfo.ContainsKey(i)).ToArray();
    }

    private static void Print(string dataset, string model, ColdStartSplit split, int[] ks, List<ColdStartResult> rows)
    {
        var table = new Table()
            .Title($"{dataset} · {model} · {split.NewItems.Length:N0} new items ranked among themselves")
            .Border(TableBorder.Rounded)
            .AddColumn("placement of new items");
        foreach (var k in ks) table.AddColumn(new TableColumn($"R@{k}").RightAligned());
        foreach (var k in ks) table.AddColumn(new TableColumn($"NDCG@{k}").RightAligned());
        foreach (var row in rows)
        {
            table.AddRow([Markup.Escape(row.Method), .. ks.Select(k => row.Recall[k].ToString("F4")), .. ks.Select(k => row.Ndcg[k].ToString("F4"))]);
        }
        AnsiConsole.Write(table);
    }
}
