using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>The one place that knows which trainer class serves which <see cref="ModelKind"/>.</summary>
public static class ModelTrainers
{
    /// <summary>The model kinds that learn per-user vectors (everything but popularity) and have a trainer.</summary>
    public static IReadOnlyList<ModelKind> PersonalisedKinds { get; } = [ModelKind.Svd, ModelKind.SvdPlusPlus, ModelKind.Bpr, ModelKind.LightGcn, ModelKind.GfCf];

    /// <summary>A trainer for <paramref name="kind"/> with its tuned defaults, overridden where <paramref name="settings"/> says.</summary>
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
            ModelKind.GfCf => new GfCfTrainer(Apply(new GfCfOptions(), settings)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown model kind."),
        };
    }

    private static T Apply<T>(T options, TrainerSettings settings) where T : TrainerOptions => (T)options.Apply(settings);
}
