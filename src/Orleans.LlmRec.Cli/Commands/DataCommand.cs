using System.CommandLine;
using Orleans.LlmRec.Recommendation.Data;
using Spectre.Console;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary><c>llmrec data stats</c> and <c>llmrec data synth</c>.</summary>
internal static class DataCommand
{
    public static Command Create() => new("data", "Inspect data sets and generate synthetic ones.")
    {
        CreateStats(),
        CreateSynth(),
    };

    private static Command CreateStats()
    {
        var data = CliOptions.Data();
        var format = CliOptions.Format();
        var command = new Command("stats", "Print the size, density, rating distribution and activity of a data set.") { data, format };
        command.SetAction((result, cancellationToken) => ConsoleUi.RunAsync(_ =>
        {
            var dataset = ConsoleUi.LoadDataset(result.GetValue(data)!, result.GetValue(format)!);
            var stats = DatasetStatistics.Compute(dataset);
            var table = new Table().Title(dataset.Name).Border(TableBorder.Rounded).AddColumn("statistic").AddColumn(new TableColumn("value").RightAligned());
            foreach (var (name, value) in Rows(stats)) table.AddRow(Markup.Escape(name), Markup.Escape(value));
            AnsiConsole.Write(table);
            var histogram = new BarChart().Label("ratings").Width(60);
            foreach (var bin in stats.RatingHistogram)
            {
                var label = bin.Lower == bin.Upper ? $"{bin.Lower:0.#}" : $"{bin.Lower:0.#}–{bin.Upper:0.#}";
                histogram.AddItem(label, bin.Count, Color.SteelBlue);
            }
            AnsiConsole.Write(histogram);
            return Task.FromResult(0);
        }, cancellationToken));
        return command;
    }

    private static IEnumerable<(string Name, string Value)> Rows(DatasetStatistics s)
    {
        static string Time(long unix) => DateTimeOffset.FromUnixTimeSeconds(unix).ToString("yyyy-MM-dd");
        yield return ("users", s.Users.ToString("N0"));
        yield return ("items (rated)", $"{s.Items:N0} ({s.RatedItems:N0})");
        yield return ("interactions", s.Interactions.ToString("N0"));
        yield return ("density", s.Density.ToString("P3"));
        yield return ("rating min / mean / max", $"{s.MinRating:0.##} / {s.MeanRating:0.###} / {s.MaxRating:0.##}");
        yield return ("per user min / median / mean / max", $"{s.PerUser.Min} / {s.PerUser.Median:0.#} / {s.PerUser.Mean:0.#} / {s.PerUser.Max}");
        yield return ("per item min / median / mean / max", $"{s.PerItem.Min} / {s.PerItem.Median:0.#} / {s.PerItem.Mean:0.#} / {s.PerItem.Max}");
        yield return ("time range", $"{Time(s.MinTimestamp)} … {Time(s.MaxTimestamp)}");
    }

    private static Command CreateSynth()
    {
        var output = new Option<string>("--out") { Description = "Folder to write ratings.csv and movies.csv to (ml-latest-small layout).", Required = true };
        var users = new Option<int>("--users") { Description = "Number of users.", DefaultValueFactory = _ => 1_000 };
        var items = new Option<int>("--items") { Description = "Number of items.", DefaultValueFactory = _ => 2_000 };
        var perUser = new Option<int>("--per-user") { Description = "Mean interactions per user.", DefaultValueFactory = _ => 50 };
        var seed = CliOptions.Seed();
        var command = new Command("synth", "Generate a deterministic synthetic movie catalogue with users of latent tastes.") { output, users, items, perUser, seed };
        command.SetAction((result, cancellationToken) => ConsoleUi.RunAsync(_ =>
        {
            var options = new SyntheticCatalogueOptions
            {
                UserCount = result.GetValue(users),
                ItemCount = result.GetValue(items),
                MeanInteractionsPerUser = result.GetValue(perUser),
                Seed = result.GetValue(seed),
            };
            var dataset = SyntheticCatalogue.Generate(options);
            var directory = result.GetValue(output)!;
            MovieLensWriter.WriteLatestSmallLayout(dataset, directory);
            AnsiConsole.MarkupLineInterpolated($"Wrote {dataset.UserCount:N0} users, {dataset.ItemCount:N0} items, {dataset.Interactions.Length:N0} interactions to {Path.GetFullPath(directory)}");
            return Task.FromResult(0);
        }, cancellationToken));
        return command;
    }
}
