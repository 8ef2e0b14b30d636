using System.Diagnostics;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;
using Spectre.Console;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>How every command talks to a person: progress bars on long work, one-line errors without stack traces.</summary>
internal static class ConsoleUi
{
    /// <summary>Runs a command body; expected failures (bad input, bad files) become a red line and a non-zero exit code.</summary>
    public static async Task<int> RunAsync(Func<CancellationToken, Task<int>> body, CancellationToken cancellationToken)
    {
        try
        {
            return await body(cancellationToken);
        }
        catch (CliUsageException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 2;
        }
        catch (ArgumentException e) when (OptionFor(e.ParamName) is { } option)
        {
            // Settings checked where they are used name the property; say it in the option the user typed.
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {option}: {WithoutParameter(e)}");
            return 2;
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException or UnauthorizedAccessException or ArgumentException
            or NotSupportedException or Scoring.ScoringModelException or StackExchange.Redis.RedisException)
        {
            // What went wrong, in one line; a scoring model's refusal already names the file and its reason.
            AnsiConsole.MarkupLineInterpolated($"[red]error:[/] {FirstLine(e.Message)}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine("[yellow]cancelled[/]");
            return 130;
        }
    }

    /// <summary>The command-line option behind a settings property a trainer or generator checks, if there is one.</summary>
    private static string? OptionFor(string? parameter) => parameter switch
    {
        "Epochs" => "--epochs",
        "Factors" => "--factors",
        "LearningRate" => "--lr",
        "Regularization" => "--reg",
        "Layers" => "--layers",
        "ValidationFraction" => "--validation-fraction",
        "UserCount" => "--users",
        "ItemCount" => "--items",
        "MeanInteractionsPerUser" => "--per-user",
        "InteractionCount" => "--interactions",
        "k" => "--k",
        _ => null,
    };

    /// <summary>
    /// "Epochs ('0') must be greater than or equal to '1'. (Parameter 'Epochs') Actual value was 0." →
    /// "0 must be greater than or equal to 1".
    /// </summary>
    private static string WithoutParameter(ArgumentException e)
    {
        var message = FirstLine(e.Message);
        var cut = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        if (cut >= 0) message = message[..cut];
        if (e.ParamName is { } name && message.StartsWith(name + " ('", StringComparison.Ordinal) && message.IndexOf("') ", StringComparison.Ordinal) is var end and > 0)
        {
            var value = message[(name.Length + 3)..end];
            message = $"{value} {message[(end + 3)..].Replace("'", "", StringComparison.Ordinal)}";
        }
        return message.TrimEnd('.');
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].TrimEnd('\r');

    /// <summary>Loads a data set with a spinner and a summary line; <paramref name="quiet"/> prints nothing (machine-read output).</summary>
    public static RatingsDataset LoadDataset(string path, string format, bool quiet = false)
    {
        if (quiet) return DatasetLoader.Load(path, format);
        var watch = Stopwatch.StartNew();
        RatingsDataset dataset = null!;
        AnsiConsole.Status().Start($"Loading {path} ...", _ => dataset = DatasetLoader.Load(path, format));
        AnsiConsole.MarkupLineInterpolated($"Loaded [bold]{dataset.Name}[/]: {dataset.UserCount:N0} users, {dataset.ItemCount:N0} items, {dataset.Interactions.Length:N0} interactions ({watch.Elapsed.TotalSeconds:F2} s)");
        return dataset;
    }

    /// <summary>Trains with a progress bar that advances per epoch and shows the loss and validation figure.</summary>
    public static (EmbeddingModel Model, double Seconds) Train(IModelTrainer trainer, RatingsDataset train, CancellationToken cancellationToken)
    {
        EmbeddingModel model = null!;
        var watch = Stopwatch.StartNew();
        var epochs = 0;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask($"train {trainer.Kind.ToName()}", maxValue: 1);
                var progress = new SynchronousProgress<TrainingProgress>(p =>
                {
                    epochs++;
                    task.MaxValue = Math.Max(1, p.TotalEpochs);
                    task.Value = p.Epoch;
                    var validation = p.Validation is { } v ? $" val {v:F4}" : "";
                    task.Description = $"train {trainer.Kind.ToName()} epoch {p.Epoch}/{p.TotalEpochs} loss {p.Loss:F4}{validation}";
                });
                model = trainer.Train(train, progress, cancellationToken);
                task.Value = task.MaxValue;
            });
        var seconds = watch.Elapsed.TotalSeconds;
        // Epochs reported, validation passes and refits included: the figure a capacity plan needs.
        AnsiConsole.MarkupLineInterpolated($"Trained {trainer.Kind.ToName()} on {train.Interactions.Length:N0} interactions: {epochs} epoch(s) in {seconds:F1} s ({seconds / Math.Max(1, epochs):F3} s per epoch)");
        return (model, seconds);
    }

}

/// <summary>IProgress that reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and lag).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
