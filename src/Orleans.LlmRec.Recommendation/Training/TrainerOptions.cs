namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// The hyper-parameters every personalised trainer has, under the one set of names the CLI (<c>--seed</c>,
/// <c>--factors</c>, <c>--epochs</c>, <c>--lr</c>, <c>--reg</c>), <see cref="TrainerSettings"/> and the silo's
/// <c>Model</c> section use. Each trainer's options record derives from this and sets its tuned defaults in its
/// constructor. Learning rate and regularisation are kept as <see cref="double"/>; trainers that compute in
/// <see cref="float"/> round them once where they use them.
/// </summary>
public abstract record TrainerOptions
{
    public int Seed { get; init; } = 42;

    /// <summary>Embedding dimension.</summary>
    public int Factors { get; init; }

    /// <summary>Training epochs; an upper bound when a trainer stops early (LightGCN).</summary>
    public int Epochs { get; init; }

    public double LearningRate { get; init; }

    /// <summary>L2 weight; each trainer's summary says where it applies.</summary>
    public double Regularization { get; init; }

    internal virtual void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Factors, 1, nameof(Factors));
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        Positive(LearningRate, nameof(LearningRate));
        NonNegative(Regularization, nameof(Regularization));
    }

    /// <summary>This record with what <paramref name="settings"/> overrides; everything else keeps its value.</summary>
    internal virtual TrainerOptions Apply(TrainerSettings settings) => this with
    {
        Seed = settings.Seed,
        Factors = settings.Factors ?? Factors,
        Epochs = settings.Epochs ?? Epochs,
        LearningRate = settings.LearningRate ?? LearningRate,
        Regularization = settings.Regularization ?? Regularization,
    };

    private protected static void Positive(double value, string name)
    {
        if (!(value > 0) || !double.IsFinite(value)) throw new ArgumentOutOfRangeException(name, value, "Must be a positive finite number.");
    }

    private protected static void NonNegative(double value, string name)
    {
        if (!(value >= 0) || !double.IsFinite(value)) throw new ArgumentOutOfRangeException(name, value, "Must be a non-negative finite number.");
    }
}

/// <summary>
/// What the pairwise trainers (<see cref="BprTrainer"/>, <see cref="LightGcnTrainer"/>) add to
/// <see cref="TrainerOptions"/>: sampled (user, positive, negative) triples in mini-batches.
/// </summary>
public abstract record PairwiseTrainerOptions : TrainerOptions
{
    /// <summary>Triples per mini-batch; null lets the trainer choose from the data's size (<see cref="BatchSizeFor"/>).</summary>
    public int? BatchSize { get; init; }

    /// <summary>Standard deviation of the normal initialisation of the (layer-0) embeddings.</summary>
    public float InitStd { get; init; }

    public BprSampling Sampling { get; init; } = BprSampling.Users;

    public int? MaxDegreeOfParallelism { get; init; }

    /// <summary>Extra (user, pos, neg) triples mixed into every batch, such as LLM-chosen pairs; null trains on the data alone.</summary>
    public BprAugmentation? Augmentation { get; init; }

    internal override void Validate()
    {
        base.Validate();
        if (BatchSize is < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "Must be positive.");
        if (!(InitStd >= 0)) throw new ArgumentOutOfRangeException(nameof(InitStd), InitStd, "Must be non-negative.");
    }

    /// <summary>The batch a run over <paramref name="pairs"/> training pairs uses: <see cref="BatchSize"/> when set.</summary>
    public abstract int BatchSizeFor(int pairs);

    internal override TrainerOptions Apply(TrainerSettings settings) => (PairwiseTrainerOptions)base.Apply(settings) with
    {
        BatchSize = settings.BatchSize ?? BatchSize,
        Augmentation = settings.Augmentation ?? Augmentation,
    };
}
