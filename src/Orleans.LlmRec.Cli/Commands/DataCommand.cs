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
            foreach (var (name, value) in stats.ToRows()) table.AddRow(Markup.Escape(name), Markup.Escape(value));
            AnsiConsole.Write(table);
            return Task.FromResult(0);
        }, cancellationToken));
        return command;
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
                Users = result.GetValue(users),
                Items = result.GetValue(items),
                InteractionsPerUser = result.GetValue(perUser),
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
