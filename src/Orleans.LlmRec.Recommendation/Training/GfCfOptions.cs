namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// Hyper-parameters of <see cref="GfCfTrainer"/>. GF-CF is closed-form: nothing is learned by gradient steps, so
/// <see cref="TrainerOptions.Epochs"/>, <see cref="TrainerOptions.LearningRate"/> and
/// <see cref="TrainerOptions.Regularization"/> do not apply and are ignored. <see cref="TrainerOptions.Factors"/> is
/// the rank k of the ideal low-pass filter (the paper's 256). The defaults are the paper's (k = 256, α = 0.3), which
/// it used on sparse check-in and review data (Gowalla, Yelp2018) as well as on denser sets.
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
    /// tens of thousands of items, so the model keeps its K leading spectral components. At K ≥ min(users, items)
    /// (all of ml-100k, ml-latest-small) the filter is exact. 0 drops the linear term.
    /// </summary>
    public int LinearRank { get; init; } = 1024;

    /// <summary>Subspace iterations of the randomized SVD beyond the first product (more = sharper trailing components).</summary>
    public int PowerIterations { get; init; } = 4;

    /// <summary>Extra random directions carried through the randomized SVD beyond the rank it returns.</summary>
    public int Oversampling { get; init; } = 32;

    public int? MaxDegreeOfParallelism { get; init; }

    internal override void Validate()
    {
        // Only what GF-CF uses: the rank of each filter, its weight and the SVD's settings.
        ArgumentOutOfRangeException.ThrowIfNegative(Factors, nameof(Factors));
        ArgumentOutOfRangeException.ThrowIfNegative(LinearRank, nameof(LinearRank));
        ArgumentOutOfRangeException.ThrowIfNegative(PowerIterations, nameof(PowerIterations));
        ArgumentOutOfRangeException.ThrowIfNegative(Oversampling, nameof(Oversampling));
        NonNegative(Alpha, nameof(Alpha));
        if (LinearRank == 0 && (Factors == 0 || Alpha == 0))
        {
            throw new ArgumentException("GF-CF needs the linear term (LinearRank > 0) or the ideal low-pass term (Factors > 0 and Alpha > 0).");
        }
    }

    internal override TrainerOptions Apply(TrainerSettings settings) => (GfCfOptions)base.Apply(settings) with
    {
        Alpha = settings.FilterAlpha ?? Alpha,
        LinearRank = settings.LinearRank ?? LinearRank,
    };
}
