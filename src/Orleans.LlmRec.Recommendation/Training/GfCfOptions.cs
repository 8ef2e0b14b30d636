namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// Hyper-parameters of <see cref="GfCfTrainer"/>. GF-CF is closed-form: nothing is learned by gradient steps, so
/// <see cref="TrainerOptions.Epochs"/>, <see cref="TrainerOptions.LearningRate"/> and
/// <see cref="TrainerOptions.Regularization"/> do not apply and are ignored. <see cref="TrainerOptions.Factors"/> is
/// the rank k of the ideal low-pass filter. The paper's k = 256, α = 0.3 (chosen for sparse check-in and review graphs:
/// Gowalla, Yelp2018) are the defaults and the centres of the candidates a validation split chooses from
/// (<see cref="ValidationFraction"/>), because denser data (MovieLens) wants a much lower k.
/// </summary>
public sealed record GfCfOptions : TrainerOptions
{
    public GfCfOptions()
    {
        Factors = 256;
        Epochs = 1;
        LearningRate = 1;
    }

    /// <summary>Weight α of the ideal low-pass term against the linear (normalised item–item) term; 0 keeps only the linear term.</summary>
    public double Alpha { get; init; } = 0.3;

    /// <summary>
    /// Rank K kept of the linear filter R̃ᵀR̃ = VΣ²Vᵀ: the exact filter is items × items, too large to serve densely at
    /// tens of thousands of items, so the model keeps its K leading spectral components (σ² weights the trailing ones
    /// down: on ml-100k and on sparse synthetic sets ranking accuracy stopped changing well below 512, while K sets the
    /// served dimension K + k, the SVD's cost and the model's size). At K ≥ min(users, items) the filter is exact.
    /// 0 drops the linear term.
    /// </summary>
    public int LinearRank { get; init; } = 512;

    /// <summary>Subspace iterations of the randomized SVD beyond the first product (more = sharper trailing components).</summary>
    public int PowerIterations { get; init; } = 4;

    /// <summary>Extra random directions carried through the randomized SVD beyond the rank it returns.</summary>
    public int Oversampling { get; init; } = 32;

    public int? MaxDegreeOfParallelism { get; init; }

    /// <summary>
    /// Share of each user's training interactions held out to choose k and α (never the test set): candidates are
    /// k ∈ <see cref="TrainerOptions.Factors"/> × {1/8, 1/4, 1/2, 1} and α ∈ <see cref="Alpha"/> × {0, 1/3, 1, 10/3, 10}
    /// (α = 0 is the linear filter alone), scored by nDCG@<see cref="ValidationK"/>; then the spectrum is computed again on
    /// all of train. 0 turns the choice off: the model then uses exactly <see cref="TrainerOptions.Factors"/> and <see cref="Alpha"/>.
    /// </summary>
    public double ValidationFraction { get; init; } = 0.1;

    public int ValidationK { get; init; } = 20;

    /// <summary>Validation users sampled (seeded) to score the candidates; each costs a pass over the item table.</summary>
    public int ValidationUsers { get; init; } = 1000;

    internal IReadOnlyList<int> IdealRankCandidates() => [.. new[] { Factors / 8, Factors / 4, Factors / 2, Factors }.Where(k => k > 0).Distinct()];

    internal IReadOnlyList<double> AlphaCandidates() => [0, Alpha / 3, Alpha, Alpha * 10 / 3, Alpha * 10];

    internal override void Validate()
    {
        // Only what GF-CF uses: the rank of each filter, its weight and the SVD's settings.
        ArgumentOutOfRangeException.ThrowIfNegative(Factors, nameof(Factors));
        ArgumentOutOfRangeException.ThrowIfNegative(LinearRank, nameof(LinearRank));
        ArgumentOutOfRangeException.ThrowIfNegative(PowerIterations, nameof(PowerIterations));
        ArgumentOutOfRangeException.ThrowIfNegative(Oversampling, nameof(Oversampling));
        NonNegative(Alpha, nameof(Alpha));
        ArgumentOutOfRangeException.ThrowIfLessThan(ValidationK, 1, nameof(ValidationK));
        ArgumentOutOfRangeException.ThrowIfLessThan(ValidationUsers, 1, nameof(ValidationUsers));
        if (!(ValidationFraction >= 0 && ValidationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "Must lie in [0, 1).");
        }
        if (LinearRank == 0 && (Factors == 0 || Alpha == 0))
        {
            throw new ArgumentException("GF-CF needs the linear term (LinearRank > 0) or the ideal low-pass term (Factors > 0 and Alpha > 0).");
        }
    }

    internal override TrainerOptions Apply(TrainerSettings settings) => (GfCfOptions)base.Apply(settings) with
    {
        Alpha = settings.FilterAlpha ?? Alpha,
        LinearRank = settings.LinearRank ?? LinearRank,
        ValidationFraction = settings.ValidationFraction ?? ValidationFraction,
    };
}
