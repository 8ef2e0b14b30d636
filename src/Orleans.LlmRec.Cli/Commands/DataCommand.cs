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

    /// <summary>A movie catalogue with one progress bar per phase (items, then users): a million items take a while.</summary>
    private static RatingsDataset GenerateWithProgress(SyntheticCatalogueOptions options)
    {
        RatingsDataset dataset = null!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var items = context.AddTask($"items ({options.ItemCount:N0}{(options.Descriptions ? ", with text" : "")})", maxValue: 1);
                var users = context.AddTask($"users ({options.UserCount:N0})", maxValue: 1, autoStart: false);
                var progress = new SynchronousProgress<(string Phase, double Done)>(p =>
                {
                    var task = p.Phase == "items" ? items : users;
                    if (p.Phase == "users" && !users.IsStarted) { items.Value = 1; users.StartTask(); }
                    task.Value = p.Done;
                });
                dataset = SyntheticCatalogue.Generate(options, progress);
                items.Value = 1;
                users.Value = 1;
            });
        return dataset;
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
        yield return ("time range", s.HasTimestamps
            ? $"{Time(s.MinTimestamp)} … {Time(s.MaxTimestamp)}"
            : "none: no interaction has a timestamp (loo and temporal splits have no time order to follow)");
    }

    private static Command CreateSynth()
    {
        var output = new Option<string>("--out") { Description = "Folder to write to: movies writes ratings.csv + movies.csv (ml-latest-small layout), clicks writes ratings.csv (user,item,rating,timestamp).", Required = true };
        var shape = new Option<string>("--shape") { Description = "movies: a rated movie catalogue with latent tastes; clicks: an implicit click log with power-law user activity and item popularity, the size of LightGCN's Gowalla by default.", DefaultValueFactory = _ => "movies" };
        shape.AcceptOnlyFromAmong("movies", "clicks");
        var users = new Option<int?>("--users") { Description = "Number of users (default 1,000 movies, 30,000 clicks)." };
        var items = new Option<int?>("--items") { Description = "Number of items (default 2,000 movies, 40,000 clicks)." };
        var perUser = new Option<int>("--per-user") { Description = "movies: mean interactions per user.", DefaultValueFactory = _ => 50 };
        var interactions = new Option<int>("--interactions") { Description = "clicks: total interactions.", DefaultValueFactory = _ => 1_000_000 };
        var minPerUser = new Option<int?>("--min-per-user") { Description = "clicks: fewest interactions per user (default 10; 1 gives millions of light users)." };
        var maxPerUser = new Option<int?>("--max-per-user") { Description = "clicks: most interactions per user, at most items / 4 (default 1,000)." };
        var testFraction = new Option<double>("--test-fraction") { Description = "Above 0: also write train.txt and test.txt (LightGCN's line format), this share of each user's interactions held out for 'llmrec eval --train --test'.", DefaultValueFactory = _ => 0 };
        var text = new Option<bool>("--text") { Description = "movies: give every item a description that follows its genres and hidden tastes (descriptions.csv), for the text map of 'llmrec train' and 'llmrec eval-cold'." };
        var seed = CliOptions.Seed();
        var command = new Command("synth", "Generate a deterministic synthetic data set: a movie catalogue, or a power-law click log at benchmark scale.")
        {
            output, shape, users, items, perUser, interactions, minPerUser, maxPerUser, testFraction, text, seed,
        };
        command.SetAction((result, cancellationToken) => ConsoleUi.RunAsync(_ =>
        {
            var fraction = result.GetValue(testFraction);
            if (!(fraction is >= 0 and < 1)) throw new CliUsageException("--test-fraction must lie in [0, 1).");
            var clicks = result.GetValue(shape) == "clicks";
            // An option of the other shape would be ignored without a word: say so instead.
            if (result.GetResult(clicks ? perUser : interactions) is { Implicit: false } || (!clicks && (result.GetValue(minPerUser) ?? result.GetValue(maxPerUser)) is not null))
            {
                throw new CliUsageException(clicks ? "--per-user is for --shape movies; give clicks a total with --interactions." : "--interactions is for --shape clicks; give movies --per-user.");
            }
            if (clicks && result.GetValue(text)) throw new CliUsageException("--text is for --shape movies: a click log has no item catalogue.");
            var directory = result.GetValue(output)!;
            var watch = System.Diagnostics.Stopwatch.StartNew();
            RatingsDataset dataset;
            if (clicks)
            {
                dataset = PowerLawClicks.Generate(new PowerLawClicksOptions
                {
                    UserCount = result.GetValue(users) ?? 30_000,
                    ItemCount = result.GetValue(items) ?? 40_000,
                    InteractionCount = result.GetValue(interactions),
                    MinPerUser = result.GetValue(minPerUser) ?? 10,
                    MaxPerUser = result.GetValue(maxPerUser),
                    Seed = result.GetValue(seed),
                });
                InteractionFileWriter.WriteCsv(Path.Combine(directory, "ratings.csv"), dataset);
            }
            else
            {
                var options = new SyntheticCatalogueOptions
                {
                    UserCount = result.GetValue(users) ?? 1_000,
                    ItemCount = result.GetValue(items) ?? 2_000,
                    MeanInteractionsPerUser = result.GetValue(perUser),
                    Seed = result.GetValue(seed),
                    Descriptions = result.GetValue(text),
                };
                dataset = GenerateWithProgress(options);
                AnsiConsole.Status().Start($"Writing {Path.GetFullPath(directory)} ...", _ => MovieLensWriter.WriteLatestSmallLayout(dataset, directory));
            }
            AnsiConsole.MarkupLineInterpolated($"Wrote {dataset.UserCount:N0} users, {dataset.ItemCount:N0} items, {dataset.Interactions.Length:N0} interactions to {Path.GetFullPath(directory)} ({watch.Elapsed.TotalSeconds:F1} s)");
            if (fraction > 0)
            {
                var split = Splits.Stratified(dataset.Interactions, 1 - fraction, StratifyBy.User, result.GetValue(seed));
                InteractionFileWriter.WriteUserItemList(Path.Combine(directory, "train.txt"), dataset, split.Train);
                InteractionFileWriter.WriteUserItemList(Path.Combine(directory, "test.txt"), dataset, split.Test);
                AnsiConsole.MarkupLineInterpolated($"Wrote train.txt ({split.Train.Length:N0}) and test.txt ({split.Test.Length:N0}), {fraction:P0} of each user's interactions held out");
            }
            return Task.FromResult(0);
        }, cancellationToken));
        return command;
    }
}
