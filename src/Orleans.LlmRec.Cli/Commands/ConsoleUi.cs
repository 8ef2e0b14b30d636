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
        "BatchSize" => "--batch-size",
        "ValidationFraction" => "--validation-fraction",
        "UserCount" => "--users",
        "ItemCount" => "--items",
        "MeanInteractionsPerUser" => "--per-user",
        "InteractionCount" => "--interactions",
        "MinPerUser" => "--min-per-user",
        "MaxPerUser" => "--max-per-user",
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

    /// <summary>
    /// Trains with a progress bar per phase (early-stop search, refit) that shows epoch, batch (for trainers that report
    /// within epochs), loss, validation figure, rate and time left; the summary's epoch count is the model's own.
    /// </summary>
    public static (EmbeddingModel Model, double Seconds) Train(IModelTrainer trainer, RatingsDataset train, CancellationToken cancellationToken)
    {
        EmbeddingModel model = null!;
        var watch = Stopwatch.StartNew();
        var name = trainer.Kind.ToName();
        var view = new TrainingProgressView(name, trainer is LightGcnTrainer { Options.ValidationFraction: > 0 }, () => watch.Elapsed);
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                ProgressTask? task = null;
                var phases = 0;
                var progress = new SynchronousProgress<TrainingProgress>(p =>
                {
                    var description = view.Update(p);
                    // Each phase gets a bar of its own, so a finished search stays on screen above its refit.
                    if (task is null || view.PhaseCount != phases)
                    {
                        if (task is not null) task.Value = task.MaxValue;
                        task = context.AddTask(description, maxValue: view.MaxValue);
                        phases = view.PhaseCount;
                    }
                    task.MaxValue = view.MaxValue;
                    task.Value = view.Value;
                    task.Description = description;
                });
                model = trainer.Train(train, progress, cancellationToken);
                if (task is not null) task.Value = task.MaxValue;
            });
        var seconds = watch.Elapsed.TotalSeconds;
        AnsiConsole.MarkupLineInterpolated($"Trained {name} on {train.Interactions.Length:N0} interactions: {view.Summary(model, seconds)}");
        return (model, seconds);
    }
}

/// <summary>IProgress that reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and lag).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
