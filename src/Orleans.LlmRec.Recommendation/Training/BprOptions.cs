namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// Hyper-parameters of <see cref="BprTrainer"/>. The defaults were chosen on a validation split carved from the
/// ml-100k training data (never its test set): 64 factors, a slow learning rate (0.01) run long (600 epochs), fairly
/// strong L2 (<see cref="TrainerOptions.Regularization"/> 0.02: the weight λ applied to the rows a triple touches, per
/// update, as in Rendle's LearnBPR), and user-uniform sampling (so light users get as many updates as heavy ones,
/// which is what a per-user ranking metric rewards).
/// </summary>
public sealed record BprOptions : PairwiseTrainerOptions
{
    public BprOptions()
    {
        Factors = 64;
        Epochs = 600;
        LearningRate = 0.01;
        Regularization = 0.02;
        // Small enough that a batch stays close to plain SGD; large enough to keep the cores busy.
        BatchSize = 256;
        InitStd = 0.01f;
    }

    /// <summary>
    /// BPR's cost per epoch is linear in the pairs whatever the batch (each triple updates only its own rows), so the
    /// batch does not grow with the data; a batch's triples are computed in parallel.
    /// </summary>
    public override int BatchSizeFor(int pairs) => BatchSize ?? 256;

    /// <summary>Adds a learned item bias b_i to x_ui (Cornac's BPR does).</summary>
    public bool UseItemBias { get; init; } = true;
}
