using System.Diagnostics;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// Trains one model and says how long it took. Evaluations take one, so a caller decides how training is shown
/// (the CLI draws a progress bar; tests and benchmarks use <see cref="TimedTraining.Run"/>).
/// </summary>
public delegate (EmbeddingModel Model, double Seconds) TrainingRun(IModelTrainer trainer, RatingsDataset train, CancellationToken cancellationToken);

public static class TimedTraining
{
    /// <summary>Trains without progress reports, timed by the wall clock.</summary>
    public static (EmbeddingModel Model, double Seconds) Run(IModelTrainer trainer, RatingsDataset train, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        var watch = Stopwatch.StartNew();
        var model = trainer.Train(train, null, cancellationToken);
        return (model, watch.Elapsed.TotalSeconds);
    }
}
