using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.Evaluation;

/// <summary>One model trained on a split's training part and measured on its test part.</summary>
/// <param name="Model">The model's name as tables and JSON show it (<see cref="ModelKindNames.ToName"/>, or an arm's name).</param>
/// <param name="Parameters">The trained model's recorded hyper-parameters.</param>
public sealed record ModelEvaluation(
    string Model,
    Dictionary<string, double> Metrics,
    double TrainingSeconds,
    int EvaluatedUsers,
    int TrainInteractions,
    int TestInteractions,
    Dictionary<string, double> Parameters);

/// <summary>
/// Hold-out evaluation: train on a protocol's training split, measure on its test split. Used by <c>llmrec eval</c>
/// and <c>llmrec train --holdout</c>, so a manifest records what the evaluation table shows.
/// </summary>
public static class HoldoutEvaluation
{
    /// <summary>
    /// The metrics of <paramref name="model"/>, trained on <paramref name="split"/>'s training part, on its test part:
    /// all-ranking metrics at <paramref name="ks"/>, plus RMSE and MAE for the models that predict ratings.
    /// </summary>
    /// <param name="trainMatrix">The training part as a matrix: its items are never recommended again.</param>
    /// <param name="threshold">Only test ratings at or above this are relevant; null counts them all.</param>
    public static (Dictionary<string, double> Metrics, int EvaluatedUsers) Measure(
        EmbeddingModel model, InteractionMatrix trainMatrix, DataSplit split, IReadOnlyList<int> ks, float? threshold)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(split);
        var report = RankingEvaluator.Evaluate(model, trainMatrix, split.Test, new RankingEvaluationOptions
        {
            Ks = ks,
            RelevanceThreshold = threshold ?? float.NegativeInfinity,
        });
        var metrics = report.ToDictionary();
        if (model.Kind.PredictsRatings())
        {
            // Predictions clipped to the training rating range, as Surprise does before computing RMSE.
            var (rmse, mae) = RatingMetrics.Evaluate(model, split.Test, split.Train.Min(x => x.Rating), split.Train.Max(x => x.Rating));
            metrics["rmse"] = rmse;
            metrics["mae"] = mae;
        }
        return (metrics, report.EvaluatedUsers);
    }

    /// <summary>
    /// Trains each of <paramref name="kinds"/> on <paramref name="split"/>'s training part with
    /// <paramref name="settings"/> and measures it on the test part, in the order given.
    /// </summary>
    public static List<ModelEvaluation> Compare(
        RatingsDataset dataset, DataSplit split, IEnumerable<ModelKind> kinds, TrainerSettings settings, IReadOnlyList<int> ks, float? threshold,
        TrainingRun train, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(split);
        ArgumentNullException.ThrowIfNull(train);
        var trainSet = dataset.WithInteractions(split.Train);
        var matrix = trainSet.ToMatrix();
        var results = new List<ModelEvaluation>();
        foreach (var kind in kinds)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (model, seconds) = train(ModelTrainers.Create(kind, settings), trainSet, cancellationToken);
            var (metrics, evaluatedUsers) = Measure(model, matrix, split, ks, threshold);
            results.Add(new ModelEvaluation(kind.ToName(), metrics, seconds, evaluatedUsers, split.Train.Length, split.Test.Length,
                new Dictionary<string, double>(model.Parameters)));
        }
        return results;
    }
}
