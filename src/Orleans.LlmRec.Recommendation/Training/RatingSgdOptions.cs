namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// Hyper-parameters the SGD rating trainers (<see cref="SvdTrainer"/>, <see cref="SvdPlusPlusTrainer"/>) share.
/// The defaults were chosen by a grid search on ml-100k 5-fold CV with another shuffle than the one we report
/// (Surprise's own defaults are 20 epochs, lr 0.005/0.007, λ 0.02); each trainer sets its own factor count.
/// </summary>
public abstract record RatingSgdOptions
{
    public int Factors { get; init; }
    public int Epochs { get; init; } = 40;

    /// <summary>Learning rate of the factors.</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>Regularisation of the factors.</summary>
    public double Regularization { get; init; } = 0.1;

    /// <summary>Learning rate of the biases; <see cref="LearningRate"/> when null.</summary>
    public double? BiasLearningRate { get; init; }

    /// <summary>Regularisation of the biases; <see cref="Regularization"/> when null.</summary>
    public double? BiasRegularization { get; init; }

    /// <summary>Standard deviation of the zero-mean normal the factors start from.</summary>
    public double InitStd { get; init; } = 0.1;

    public int Seed { get; init; } = 42;

    internal virtual void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Factors, 1, nameof(Factors));
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        Positive(LearningRate, nameof(LearningRate));
        NonNegative(Regularization, nameof(Regularization));
        if (BiasLearningRate is { } blr) Positive(blr, nameof(BiasLearningRate));
        if (BiasRegularization is { } breg) NonNegative(breg, nameof(BiasRegularization));
        NonNegative(InitStd, nameof(InitStd));
    }

    private static void Positive(double value, string name)
    {
        if (!(value > 0) || !double.IsFinite(value)) throw new ArgumentOutOfRangeException(name, value, "Must be a positive finite number.");
    }

    private static void NonNegative(double value, string name)
    {
        if (!(value >= 0) || !double.IsFinite(value)) throw new ArgumentOutOfRangeException(name, value, "Must be a non-negative finite number.");
    }
}
