namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>The validation figure LightGCN's early stopping watches.</summary>
public enum ValidationMetric
{
    Ndcg,
    Recall,
}

/// <summary>
/// Hyper-parameters of <see cref="LightGcnTrainer"/>. The defaults were chosen on a validation split carved from the
/// ml-100k training data (never its test set); compared with the paper's (64 factors, lr 1e-3, decay 1e-4) they
/// learn faster and regularise harder, which suits small, dense MovieLens graphs. <see cref="TrainerOptions.Epochs"/>
/// is an upper bound (one epoch draws as many triples as there are training interactions), and
/// <see cref="TrainerOptions.Regularization"/> is the L2 weight on the batch's layer-0 embeddings,
/// regularization · Σ‖e⁰‖² / 2 / batch, which the reference code calls decay.
/// </summary>
public sealed record LightGcnOptions : PairwiseTrainerOptions
{
    public LightGcnOptions()
    {
        Factors = 128;
        Epochs = 300;
        LearningRate = 0.005;
        Regularization = 1e-3;
        InitStd = 0.1f;
    }

    /// <summary>
    /// The batch <see cref="TrainerOptions.LearningRate"/> was tuned at (on ml-100k), and the smallest batch the
    /// automatic choice makes.
    /// </summary>
    public int ReferenceBatchSize { get; init; } = 2048;

    /// <summary>
    /// Each step propagates the whole graph forward and back, so an epoch costs (steps per epoch) × (edges). With
    /// <see cref="PairwiseTrainerOptions.BatchSize"/> unset the batch grows with the data so that an epoch is at most
    /// this many steps: the epoch cost is then linear in the interactions. Below 16 × 2048 ≈ 33k interactions the
    /// batch stays at <see cref="ReferenceBatchSize"/>.
    /// </summary>
    public int StepsPerEpoch { get; init; } = 16;

    /// <summary>
    /// Adam's step is about the learning rate whatever the batch, so a larger batch (fewer steps per epoch) moves the
    /// weights less per epoch; above <see cref="ReferenceBatchSize"/> the rate is scaled by √(batch / reference), the usual
    /// rule for adaptive optimisers.
    /// </summary>
    public bool ScaleLearningRate { get; init; } = true;

    public override int BatchSizeFor(int pairs) =>
        BatchSize ?? Math.Max(ReferenceBatchSize, (int)Math.Min(int.MaxValue, ((long)pairs + StepsPerEpoch - 1) / StepsPerEpoch));

    /// <summary>The learning rate a run with batches of <paramref name="batch"/> uses (see <see cref="ScaleLearningRate"/>).</summary>
    public double LearningRateFor(int batch) =>
        ScaleLearningRate && batch > ReferenceBatchSize ? LearningRate * Math.Sqrt((double)batch / ReferenceBatchSize) : LearningRate;

    /// <summary>Propagation layers L; the final embedding is the mean of layers 0..L.</summary>
    public int Layers { get; init; } = 3;

    /// <summary>
    /// Share of each user's training interactions held out to choose the epoch count (never the test set).
    /// 0 turns early stopping off: the model then trains exactly <see cref="TrainerOptions.Epochs"/> epochs on all of train.
    /// </summary>
    public double ValidationFraction { get; init; } = 0.1;

    public ValidationMetric ValidationMetric { get; init; } = ValidationMetric.Ndcg;

    /// <summary>
    /// Early stopping validates on at most this many users (a seeded sample when there are more): each validation
    /// scores every item for each of them.
    /// </summary>
    public int MaxValidationUsers { get; init; } = 5_000;
    public int ValidationK { get; init; } = 20;

    /// <summary>Validate every this many epochs.</summary>
    public int ValidateEvery { get; init; } = 5;

    /// <summary>Stop after this many validations without a new best.</summary>
    public int Patience { get; init; } = 6;

    /// <summary>
    /// After early stopping, train again from the same initialisation on all of train for the best epoch count
    /// (the held-out tenth is data the final model should see). When false the best epoch's weights, trained
    /// without the validation interactions, are kept.
    /// </summary>
    public bool RefitOnAllTraining { get; init; } = true;

    internal override void Validate()
    {
        base.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(Layers, nameof(Layers));
        ArgumentOutOfRangeException.ThrowIfLessThan(ValidationK, 1, nameof(ValidationK));
        ArgumentOutOfRangeException.ThrowIfLessThan(ValidateEvery, 1, nameof(ValidateEvery));
        ArgumentOutOfRangeException.ThrowIfLessThan(Patience, 1, nameof(Patience));
        ArgumentOutOfRangeException.ThrowIfLessThan(StepsPerEpoch, 1, nameof(StepsPerEpoch));
        ArgumentOutOfRangeException.ThrowIfLessThan(ReferenceBatchSize, 1, nameof(ReferenceBatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxValidationUsers, 1, nameof(MaxValidationUsers));
        if (!(ValidationFraction >= 0 && ValidationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "Must lie in [0, 1).");
        }
    }

    internal override TrainerOptions Apply(TrainerSettings settings) => (LightGcnOptions)base.Apply(settings) with
    {
        Layers = settings.Layers ?? Layers,
        ValidationFraction = settings.ValidationFraction ?? ValidationFraction,
    };
}
