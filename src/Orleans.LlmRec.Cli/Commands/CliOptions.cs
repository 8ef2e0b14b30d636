using System.CommandLine;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>Options shared by several commands, built fresh per command (an option belongs to one parent).</summary>
internal static class CliOptions
{
    public static readonly string[] Formats = [.. Recommendation.Data.DatasetLoader.Formats];

    public static Option<string> Data() => new("--data")
    {
        Description = "Data set: a MovieLens folder (ml-latest-small, ml-100k, ml-1m) or a user,item,rating,timestamp CSV file.",
        Required = true,
    };

    public static Option<string> Format()
    {
        var option = new Option<string>("--format")
        {
            Description = "Data format; 'auto' (the default) tells it from the path: a MovieLens folder by its files, a file by its content (LightGCN's train.txt line format or CSV).",
            DefaultValueFactory = _ => "auto",
        };
        option.AcceptOnlyFromAmong(Formats);
        return option;
    }

    public static Option<int> Seed() => new("--seed") { Description = "Random seed for splits and training.", DefaultValueFactory = _ => 42 };

    public static Option<int?> Factors() => new("--factors") { Description = "Embedding dimension (default: the model's tuned default)." };
    public static Option<int?> Epochs() => new("--epochs") { Description = "Maximum training epochs (default: the model's tuned default)." };
    public static Option<double?> LearningRate() => new("--lr") { Description = "Learning rate." };
    public static Option<double?> Regularization() => new("--reg") { Description = "L2 regularisation." };
    public static Option<int?> BatchSize() => new("--batch-size") { Description = "BPR and LightGCN: triples per mini-batch. Default: BPR 256; LightGCN grows it with the data so an epoch is at most 16 steps (at least 2048), with the learning rate scaled by sqrt(batch / 2048)." };
    public static Option<int?> Layers() => new("--layers") { Description = "LightGCN propagation layers." };
    public static Option<double?> FilterAlpha() => new("--filter-alpha") { Description = "GF-CF: weight of the ideal low-pass filter against the linear item-item filter (default 0.3; the centre of the validated candidates unless --validation-fraction 0)." };
    public static Option<int?> LinearRank() => new("--linear-rank") { Description = "GF-CF: spectral rank kept of the linear item-item filter; exact at min(users, items) (default 512)." };
    public static Option<double?> ValidationFraction() => new("--validation-fraction") { Description = "LightGCN: share of each user's training items held out for early stopping; 0 trains exactly --epochs epochs. GF-CF: held out to choose k and alpha around --factors and --filter-alpha; 0 uses them as given." };

    /// <summary>The hyper-parameter options as a group, so train and eval accept the same ones.</summary>
    public sealed class TrainerOptionSet
    {
        public Option<int> Seed { get; } = CliOptions.Seed();
        public Option<int?> Factors { get; } = CliOptions.Factors();
        public Option<int?> Epochs { get; } = CliOptions.Epochs();
        public Option<double?> LearningRate { get; } = CliOptions.LearningRate();
        public Option<double?> Regularization { get; } = CliOptions.Regularization();
        public Option<int?> Layers { get; } = CliOptions.Layers();
        public Option<int?> BatchSize { get; } = CliOptions.BatchSize();
        public Option<double?> ValidationFraction { get; } = CliOptions.ValidationFraction();
        public Option<double?> FilterAlpha { get; } = CliOptions.FilterAlpha();
        public Option<int?> LinearRank { get; } = CliOptions.LinearRank();

        public void AddTo(Command command)
        {
            command.Options.Add(Seed);
            command.Options.Add(Factors);
            command.Options.Add(Epochs);
            command.Options.Add(LearningRate);
            command.Options.Add(Regularization);
            command.Options.Add(Layers);
            command.Options.Add(BatchSize);
            command.Options.Add(ValidationFraction);
            command.Options.Add(FilterAlpha);
            command.Options.Add(LinearRank);
        }

        public TrainerSettings Read(ParseResult result) => new()
        {
            Seed = result.GetValue(Seed),
            Factors = result.GetValue(Factors),
            Epochs = result.GetValue(Epochs),
            LearningRate = result.GetValue(LearningRate),
            Regularization = result.GetValue(Regularization),
            Layers = result.GetValue(Layers),
            BatchSize = result.GetValue(BatchSize),
            ValidationFraction = result.GetValue(ValidationFraction),
            FilterAlpha = result.GetValue(FilterAlpha),
            LinearRank = result.GetValue(LinearRank),
        };
    }

    public static ModelKind ParseModel(string name) =>
        ModelKindNames.TryParse(name, out var kind)
            ? kind
            : throw new CliUsageException($"Unknown model '{name}'. Expected one of: {ModelKindNames.List}.");
}

/// <summary>A mistake in how the command was called: printed without a stack trace, exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
