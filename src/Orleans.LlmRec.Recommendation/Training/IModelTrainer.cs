using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>One step of a training run, reported for progress bars and logs.</summary>
/// <param name="Epoch">1-based epoch just finished.</param>
/// <param name="TotalEpochs">Upper bound on epochs (early stopping may end sooner).</param>
/// <param name="Loss">Mean training loss of the epoch.</param>
/// <param name="Validation">Validation figure (e.g. NDCG@20 or RMSE) when one was computed this epoch.</param>
public sealed record TrainingProgress(int Epoch, int TotalEpochs, double Loss, double? Validation = null, string? Note = null)
{
    /// <summary>What the run is doing when it has several parts ("early-stop search", "refit"); null otherwise.</summary>
    public string? Phase { get; init; }

    /// <summary>
    /// 0 for the report at the end of an epoch. A trainer may also report within an epoch: then <see cref="Epoch"/>
    /// is the epoch under way, this the batches of it done so far (1..<see cref="BatchesPerEpoch"/>) and
    /// <see cref="Loss"/> the mean loss of those batches; such reports do not count as epochs.
    /// </summary>
    public int Batch { get; init; }

    /// <summary>Batches in one epoch; set with <see cref="Batch"/>.</summary>
    public int BatchesPerEpoch { get; init; }
}

/// <summary>
/// Trains one model family on a training split. Implementations are deterministic for a given seed
/// (parallel work is partitioned so the result does not depend on thread timing).
/// </summary>
public interface IModelTrainer
{
    ModelKind Kind { get; }

    EmbeddingModel Train(RatingsDataset train, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default);
}
