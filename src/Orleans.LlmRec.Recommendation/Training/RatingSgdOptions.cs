namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// Hyper-parameters the SGD rating trainers (<see cref="SvdTrainer"/>, <see cref="SvdPlusPlusTrainer"/>) share.
/// The defaults were chosen by a grid search on ml-100k 5-fold CV with another shuffle than the one we report
/// (Surprise's own defaults are 20 epochs, lr 0.005/0.007, λ 0.02): longer, faster and more regularised; each
/// trainer sets its own factor count.
/// </summary>
public abstract record RatingSgdOptions : TrainerOptions
{
    protected RatingSgdOptions()
    {
        Epochs = 40;
        LearningRate = 0.01;
        Regularization = 0.1;
    }

    /// <summary>Learning rate of the biases; <see cref="TrainerOptions.LearningRate"/> when null.</summary>
    public double? BiasLearningRate { get; init; }

    /// <summary>Regularisation of the biases; <see cref="TrainerOptions.Regularization"/> when null.</summary>
    public double? BiasRegularization { get; init; }

    /// <summary>Standard deviation of the zero-mean normal the factors start from.</summary>
    public double InitStd { get; init; } = 0.1;

    internal override void Validate()
    {
        base.Validate();
        if (BiasLearningRate is { } blr) Positive(blr, nameof(BiasLearningRate));
        if (BiasRegularization is { } breg) NonNegative(breg, nameof(BiasRegularization));
        NonNegative(InitStd, nameof(InitStd));
    }
}
