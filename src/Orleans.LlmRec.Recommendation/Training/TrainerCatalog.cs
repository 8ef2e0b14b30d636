using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// Overrides a caller (the CLI, the silo's start-up training) may set on any trainer; null keeps the trainer's
/// tuned default. Not every knob applies to every model (popularity has none).
/// </summary>
public sealed record TrainerSettings
{
    public int Seed { get; init; } = 42;
    public int? Factors { get; init; }
    public int? Epochs { get; init; }
    public double? LearningRate { get; init; }
    public double? Regularization { get; init; }
    public int? Layers { get; init; }
}

/// <summary>The one place that knows which trainer class serves which <see cref="ModelKind"/>.</summary>
public static class TrainerCatalog
{
    public static IModelTrainer Create(ModelKind kind, TrainerSettings? settings = null)
    {
        settings ??= new TrainerSettings();
        return kind switch
        {
            ModelKind.Popularity => new PopularityTrainer(),
            _ => throw new NotSupportedException($"No trainer for '{kind.ToName()}' yet."),
        };
    }
}
