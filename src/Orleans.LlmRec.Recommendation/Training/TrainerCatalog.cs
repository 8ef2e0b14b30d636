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

    /// <summary>Share of each user's training items held out for early stopping (LightGCN); 0 trains a fixed epoch count.</summary>
    public double? ValidationFraction { get; init; }

    /// <summary>Augmented BPR triples for the pairwise trainers (BPR, LightGCN); ignored by the rating models.</summary>
    public BprAugmentation? Augmentation { get; init; }
}

/// <summary>The one place that knows which trainer class serves which <see cref="ModelKind"/>.</summary>
public static class TrainerCatalog
{
    /// <summary>The model kinds that learn per-user vectors (everything but popularity) and have a trainer.</summary>
    public static IReadOnlyList<ModelKind> PersonalisedKinds { get; } = [ModelKind.Svd, ModelKind.SvdPlusPlus, ModelKind.Bpr, ModelKind.LightGcn];

    public static IModelTrainer Create(ModelKind kind, TrainerSettings? settings = null)
    {
        settings ??= new TrainerSettings();
        return kind switch
        {
            ModelKind.Popularity => new PopularityTrainer(),
            ModelKind.Svd => new SvdTrainer(Apply(new SvdOptions(), settings)),
            ModelKind.SvdPlusPlus => new SvdPlusPlusTrainer(Apply(new SvdPlusPlusOptions(), settings)),
            ModelKind.Bpr => new BprTrainer(Apply(new BprOptions(), settings)),
            ModelKind.LightGcn => new LightGcnTrainer(Apply(new LightGcnOptions(), settings)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown model kind."),
        };
    }

    private static T Apply<T>(T o, TrainerSettings s) where T : RatingSgdOptions => (T)(o with
    {
        Seed = s.Seed,
        Factors = s.Factors ?? o.Factors,
        Epochs = s.Epochs ?? o.Epochs,
        LearningRate = s.LearningRate ?? o.LearningRate,
        Regularization = s.Regularization ?? o.Regularization,
    });

    private static BprOptions Apply(BprOptions o, TrainerSettings s) => o with
    {
        Seed = s.Seed,
        Factors = s.Factors ?? o.Factors,
        Epochs = s.Epochs ?? o.Epochs,
        LearningRate = (float?)s.LearningRate ?? o.LearningRate,
        Regularization = (float?)s.Regularization ?? o.Regularization,
        Augmentation = s.Augmentation ?? o.Augmentation,
    };

    private static LightGcnOptions Apply(LightGcnOptions o, TrainerSettings s) => o with
    {
        Seed = s.Seed,
        Factors = s.Factors ?? o.Factors,
        MaxEpochs = s.Epochs ?? o.MaxEpochs,
        LearningRate = (float?)s.LearningRate ?? o.LearningRate,
        Decay = (float?)s.Regularization ?? o.Decay,
        Layers = s.Layers ?? o.Layers,
        ValidationFraction = s.ValidationFraction ?? o.ValidationFraction,
        Augmentation = s.Augmentation ?? o.Augmentation,
    };
}
