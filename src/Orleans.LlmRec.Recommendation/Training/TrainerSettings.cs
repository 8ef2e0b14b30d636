namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// Overrides a caller (the CLI, the silo's start-up training) may set on any trainer, under the names of
/// <see cref="TrainerOptions"/>; null keeps the trainer's tuned default. Not every setting applies to every model
/// (popularity has none; only LightGCN has layers and early stopping; only BPR and LightGCN have batches).
/// </summary>
public sealed record TrainerSettings
{
    public int Seed { get; init; } = 42;
    public int? Factors { get; init; }
    public int? Epochs { get; init; }
    public double? LearningRate { get; init; }
    public double? Regularization { get; init; }

    /// <summary>LightGCN's propagation layers.</summary>
    public int? Layers { get; init; }

    /// <summary>Share of each user's training items held out for early stopping (LightGCN) or to choose the filter (GF-CF); 0 trains the settings as given.</summary>
    public double? ValidationFraction { get; init; }

    /// <summary>Triples per mini-batch of the pairwise trainers (BPR, LightGCN).</summary>
    public int? BatchSize { get; init; }

    /// <summary>GF-CF: weight α of the ideal low-pass filter against the linear item–item filter.</summary>
    public double? FilterAlpha { get; init; }

    /// <summary>GF-CF: spectral rank kept of the linear item–item filter (exact when at least min(users, items)).</summary>
    public int? LinearRank { get; init; }

    /// <summary>Augmented BPR triples for the pairwise trainers (BPR, LightGCN); ignored by the rating models.</summary>
    public BprAugmentation? Augmentation { get; init; }
}
