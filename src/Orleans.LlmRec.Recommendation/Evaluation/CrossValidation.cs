using System.Diagnostics;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.Evaluation;

/// <summary>One fold of a k-fold split: the interactions held out for testing and the rest for training.</summary>
public sealed record CrossValidationFold(int Index, Interaction[] Train, Interaction[] Test);

/// <summary>Rating error of one fold and the seconds it took to train the model and score the test part.</summary>
public sealed record RatingFoldResult(int Fold, double Rmse, double Mae, double Seconds, int TrainCount, int TestCount);

public sealed record RatingCrossValidationResult(IReadOnlyList<RatingFoldResult> Folds, double MeanRmse, double MeanMae, double TotalSeconds)
{
    public double RmseStandardDeviation => StandardDeviation(Folds.Select(f => f.Rmse));
    public double MaeStandardDeviation => StandardDeviation(Folds.Select(f => f.Mae));

    /// <summary>The figures as a results row: mean RMSE and MAE, the RMSE's spread and each fold's RMSE (1-based).</summary>
    public Dictionary<string, double> ToDictionary()
    {
        var metrics = new Dictionary<string, double>
        {
            ["rmse"] = MeanRmse,
            ["mae"] = MeanMae,
            ["rmse_std"] = RmseStandardDeviation,
        };
        for (var f = 0; f < Folds.Count; f++)
        {
            metrics[$"rmse_fold{f + 1}"] = Folds[f].Rmse;
        }
        return metrics;
    }

    private static double StandardDeviation(IEnumerable<double> values)
    {
        var list = values.ToList();
        if (list.Count == 0) return 0;
        var mean = list.Average();
        return Math.Sqrt(list.Sum(v => (v - mean) * (v - mean)) / list.Count);
    }
}

/// <summary>K-fold cross-validation over interactions, as Surprise's <c>KFold</c> + <c>cross_validate</c>.</summary>
public static class CrossValidation
{
    /// <summary>
    /// Shuffles the interactions with <paramref name="seed"/> and cuts them into <paramref name="k"/> contiguous
    /// test folds (the first n mod k folds one larger), so each interaction is tested exactly once.
    /// </summary>
    public static IReadOnlyList<CrossValidationFold> KFold(Interaction[] all, int k, int seed)
    {
        ArgumentNullException.ThrowIfNull(all);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 2);
        if (k > all.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"Cannot cut {all.Length} interactions into {k} non-empty folds.");
        }
        var order = new int[all.Length];
        for (var n = 0; n < order.Length; n++) order[n] = n;
        new Random(seed).Shuffle(order);

        var folds = new CrossValidationFold[k];
        var start = 0;
        for (var f = 0; f < k; f++)
        {
            var size = all.Length / k + (f < all.Length % k ? 1 : 0);
            var test = new Interaction[size];
            var train = new Interaction[all.Length - size];
            for (var n = 0; n < size; n++) test[n] = all[order[start + n]];
            var t = 0;
            for (var n = 0; n < start; n++) train[t++] = all[order[n]];
            for (var n = start + size; n < order.Length; n++) train[t++] = all[order[n]];
            folds[f] = new CrossValidationFold(f, train, test);
            start += size;
        }
        return folds;
    }

    /// <summary>
    /// Trains <paramref name="trainer"/> on each fold's training part and measures RMSE/MAE on its test part,
    /// predictions clipped to the training ratings' range. Seconds per fold cover training and scoring.
    /// </summary>
    public static RatingCrossValidationResult EvaluateRatings(
        RatingsDataset data,
        IModelTrainer trainer,
        int k,
        int seed,
        IProgress<RatingFoldResult>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(trainer);
        var total = Stopwatch.StartNew();
        var results = new List<RatingFoldResult>(k);
        foreach (var fold in KFold(data.Interactions, k, seed))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var watch = Stopwatch.StartNew();
            var model = trainer.Train(data.WithInteractions(fold.Train, $"{data.Name} fold {fold.Index + 1}/{k} train"), null, cancellationToken);
            var (min, max) = RatingRange(fold.Train);
            var (rmse, mae) = RatingMetrics.Evaluate(model, fold.Test, min, max);
            var result = new RatingFoldResult(fold.Index, rmse, mae, watch.Elapsed.TotalSeconds, fold.Train.Length, fold.Test.Length);
            results.Add(result);
            progress?.Report(result);
        }
        return new RatingCrossValidationResult(results, results.Average(r => r.Rmse), results.Average(r => r.Mae), total.Elapsed.TotalSeconds);
    }

    private static (float Min, float Max) RatingRange(Interaction[] interactions)
    {
        if (interactions.Length == 0)
        {
            throw new ArgumentException("A fold has no training interactions.", nameof(interactions));
        }
        var min = float.PositiveInfinity;
        var max = float.NegativeInfinity;
        foreach (var x in interactions)
        {
            min = Math.Min(min, x.Rating);
            max = Math.Max(max, x.Rating);
        }
        return (min, max);
    }
}
