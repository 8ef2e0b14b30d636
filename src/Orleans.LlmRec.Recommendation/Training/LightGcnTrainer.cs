using System.Numerics.Tensors;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// LightGCN (He et al. 2020). Layer-0 ("ego") embeddings E⁰ for users and items are propagated over the
/// symmetric-normalised bipartite adjacency Â, E^{l+1} = Â E^l, and the final embeddings are the mean of layers
/// 0..L. Training minimises the BPR loss on final embeddings of sampled (user, positive, negative) triples plus
/// L2 on the batch's ego embeddings, with Adam. Each mini-batch propagates the whole graph forward and back (the
/// propagation is linear and Â symmetric, so the backward pass applies the same layer-mean to the gradient), so the
/// batch grows with the data (<see cref="LightGcnOptions.StepsPerEpoch"/>, the learning rate scaled with it): an
/// epoch is then a fixed number of propagations and costs time linear in the interactions.
/// Deterministic for a seed: per-batch seeded sampling, row-partitioned sparse products, and gradients summed
/// row by row in triple order.
/// </summary>
public sealed class LightGcnTrainer(LightGcnOptions? options = null) : IModelTrainer
{
    public const string UserEgoExtra = "lightgcn.user_ego";
    public const string ItemEgoExtra = "lightgcn.item_ego";

    /// <summary>
    /// Stores what folding a new user in needs (see <see cref="FoldIn.UserFoldIn"/>): the item rows of layers
    /// 0..L−1, stacked [L, items, d], and each item's training degree.
    /// </summary>
    private static void AddFoldInLayers(EmbeddingModel model, NormalizedAdjacency adjacency, float[] ego, InteractionMatrix matrix, int d, int layers, ParallelOptions parallel)
    {
        var itemLength = model.ItemCount * d;
        var userLength = model.UserCount * d;
        var stacked = new float[layers * itemLength];
        var current = (float[])ego.Clone();
        var next = new float[ego.Length];
        for (var l = 0; l < layers; l++)
        {
            current.AsSpan(userLength, itemLength).CopyTo(stacked.AsSpan(l * itemLength, itemLength));
            if (l + 1 < layers)
            {
                adjacency.Multiply(current, next, d, parallel);
                (current, next) = (next, current);
            }
        }
        var degree = new float[model.ItemCount];
        for (var i = 0; i < degree.Length; i++) degree[i] = matrix.ItemDegree(i);
        model.Extras[FoldIn.UserFoldIn.LightGcnItemLayers] = stacked;
        model.Extras[FoldIn.UserFoldIn.LightGcnItemDegree] = degree;
    }

    public LightGcnOptions Options { get; } = options ?? new LightGcnOptions();

    public ModelKind Kind => ModelKind.LightGcn;

    public EmbeddingModel Train(RatingsDataset train, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var o = Options;
        o.Validate();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = o.MaxDegreeOfParallelism ?? Environment.ProcessorCount, CancellationToken = cancellationToken };
        var full = train.ToMatrix();
        o.Augmentation?.Validate(train.UserCount, train.ItemCount);
        // One batch size for the search and the refit, chosen from all of train, so the epoch count carries over.
        var batch = o.BatchSizeFor(full.NonZeroCount);
        var learningRate = o.LearningRateFor(batch);
        float[] ego;
        var epochsTrained = o.Epochs;
        var epochsRun = 0;
        double? bestValidation = null;

        var split = o.ValidationFraction > 0
            ? Splits.Stratified(train.Interactions, 1 - o.ValidationFraction, StratifyBy.User, o.Seed)
            : null;
        if (split is { Test.Length: > 0 })
        {
            var fitMatrix = InteractionMatrix.Build(train.UserCount, train.ItemCount, split.Train);
            var run = Fit(fitMatrix, batch, learningRate, o.Epochs, ValidationSample(split.Test, o.MaxValidationUsers, o.Seed), null, parallel, progress, cancellationToken);
            epochsTrained = run.BestEpoch;
            bestValidation = run.BestValidation;
            epochsRun = run.EpochsRun;
            if (o.RefitOnAllTraining)
            {
                var refit = Fit(full, batch, learningRate, run.BestEpoch, null, "refit on all training data", parallel, progress, cancellationToken);
                ego = refit.Ego;
                epochsRun += refit.EpochsRun;
            }
            else
            {
                ego = run.Ego;
            }
        }
        else
        {
            var run = Fit(full, batch, learningRate, o.Epochs, null, null, parallel, progress, cancellationToken);
            ego = run.Ego;
            epochsRun = run.EpochsRun;
        }

        var d = o.Factors;
        var adjacency = NormalizedAdjacency.FromInteractions(full);
        var final = new float[ego.Length];
        adjacency.PropagateMean(ego, final, d, o.Layers, new float[ego.Length], new float[ego.Length], parallel);
        var model = new EmbeddingModel(ModelKind.LightGcn, train.UserCount, train.ItemCount, d);
        var userLength = train.UserCount * d;
        final.AsSpan(0, userLength).CopyTo(model.UserVectors);
        final.AsSpan(userLength).CopyTo(model.ItemVectors);
        model.Extras[UserEgoExtra] = ego[..userLength];
        model.Extras[ItemEgoExtra] = ego[userLength..];
        AddFoldInLayers(model, adjacency, ego, full, d, o.Layers, parallel);
        model.Parameters["lightgcn.layers"] = o.Layers;
        model.Parameters["factors"] = d;
        model.Parameters["lr"] = (float)o.LearningRate;
        if (learningRate != o.LearningRate) model.Parameters["lightgcn.lr_scaled"] = (float)learningRate;
        model.Parameters["reg"] = (float)o.Regularization;
        // The reference code's name for the same weight, kept so manifests written before stay comparable.
        model.Parameters["lightgcn.decay"] = (float)o.Regularization;
        model.Parameters["batch_size"] = batch;
        model.Parameters["epochs"] = epochsTrained;
        // Every epoch this run trained (search and refit): what the training time divides into.
        model.Parameters["lightgcn.epochs_run"] = epochsRun;
        model.Parameters["init_std"] = o.InitStd;
        model.Parameters["seed"] = o.Seed;
        model.Parameters["lightgcn.refit"] = bestValidation is not null && o.RefitOnAllTraining ? 1 : 0;
        if (AugmentedBatch.Create(o.Augmentation, batch, o.Seed) is not null) o.Augmentation!.Describe(model.Parameters);
        if (bestValidation is { } best) model.Parameters[$"validation.{o.ValidationMetric.ToString().ToLowerInvariant()}@{o.ValidationK}"] = best;
        return model;
    }

    private sealed record FitResult(float[] Ego, int BestEpoch, double? BestValidation, int EpochsRun);

    // Trains from the seed's initialisation for up to maxEpochs. With validation interactions, validates every
    // ValidateEvery epochs, stops after Patience validations without improvement, and returns the best epoch's weights.
    private FitResult Fit(InteractionMatrix matrix, int batch, double learningRate, int maxEpochs, Interaction[]? validation, string? note, ParallelOptions parallel, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var o = Options;
        var d = o.Factors;
        var adjacency = NormalizedAdjacency.FromInteractions(matrix);
        var sampler = new BprTripleSampler(matrix);
        var ego = new float[adjacency.NodeCount * d];
        SplitMixRandom.ForStream(o.Seed, -1, -1).FillGaussian(ego, o.InitStd);
        var augmented = AugmentedBatch.Create(o.Augmentation, batch, o.Seed);
        var capacity = batch + (augmented?.PerBatch ?? 0);
        var step = new LightGcnGradient(adjacency, d, o.Layers, capacity, parallel);
        var adam = new AdamOptimizer(ego.Length, (float)learningRate, parallel);
        var users = new int[capacity];
        var positives = new int[capacity];
        var negatives = new int[capacity];
        var pairs = sampler.PairCount;
        var batchesPerEpoch = Math.Max(1, (pairs + batch - 1) / batch);
        // An epoch of a large graph takes long enough that a user wants to see it move: about 50 reports within each.
        var reportEvery = Math.Max(1, batchesPerEpoch / 50);
        var phase = validation is not null ? "early-stop search" : note is null ? null : "refit";

        float[]? bestEgo = null;
        var bestEpoch = maxEpochs;
        double? bestValidation = null;
        var sinceBest = 0;
        var epochsRun = 0;
        for (var epoch = 1; epoch <= maxEpochs && pairs > 0; epoch++)
        {
            var order = o.Sampling == BprSampling.Interactions ? sampler.ShuffledPairs(o.Seed, epoch) : null;
            var epochLoss = 0.0;
            for (var b = 0; b < batchesPerEpoch; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var size = Math.Min(batch, pairs - b * batch);
                var rng = SplitMixRandom.ForStream(o.Seed, epoch, b);
                sampler.Fill(o.Sampling, order, b * batch, ref rng, users.AsSpan(0, size), positives.AsSpan(0, size), negatives.AsSpan(0, size));
                step.Forward(ego);
                var total = size;
                if (augmented is not null)
                {
                    total += augmented.Fill(epoch, b, size, users, positives, negatives, step.SampleLoss);
                }
                epochLoss += step.LossAndGradient(ego, users.AsSpan(0, total), positives.AsSpan(0, total), negatives.AsSpan(0, total), (float)o.Regularization);
                adam.Step(ego, step.EgoGradient);
                if (progress is not null && (b + 1) % reportEvery == 0 && b + 1 < batchesPerEpoch)
                {
                    progress.Report(new TrainingProgress(epoch, maxEpochs, epochLoss / (b + 1)) { Batch = b + 1, BatchesPerEpoch = batchesPerEpoch, Phase = phase });
                }
            }
            epochLoss /= batchesPerEpoch;
            epochsRun = epoch;

            double? score = null;
            if (validation is not null && (epoch % o.ValidateEvery == 0 || epoch == maxEpochs))
            {
                step.Forward(ego);
                score = Evaluate(step.Final, adjacency.UserCount, adjacency.ItemCount, d, matrix, validation, parallel.MaxDegreeOfParallelism);
                if (bestValidation is null || score > bestValidation)
                {
                    bestValidation = score;
                    bestEpoch = epoch;
                    bestEgo = (float[])ego.Clone();
                    sinceBest = 0;
                }
                else
                {
                    sinceBest++;
                }
            }
            progress?.Report(new TrainingProgress(epoch, maxEpochs, epochLoss, score, note) { Phase = phase });
            if (sinceBest >= o.Patience) break;
        }
        return new FitResult(bestEgo ?? ego, bestEpoch, bestValidation, epochsRun);
    }

    // Scoring every item for every user costs users × items × d per validation (30k × 40k × 128 at 1M interactions:
    // seconds); a seeded sample of users ranks epochs as well, and data with fewer users is validated on all of them.
    private static Interaction[] ValidationSample(Interaction[] validation, int maxUsers, int seed)
    {
        var users = validation.Select(x => x.User).Distinct().Order().ToArray();
        if (users.Length <= maxUsers) return validation;
        var rng = SplitMixRandom.ForStream(seed, -3, -3);
        for (var i = users.Length - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (users[i], users[j]) = (users[j], users[i]);
        }
        var kept = users.Take(maxUsers).ToHashSet();
        return validation.Where(x => kept.Contains(x.User)).ToArray();
    }

    private double Evaluate(float[] final, int userCount, int itemCount, int d, InteractionMatrix train, Interaction[] validation, int maxDegreeOfParallelism)
    {
        var itemOffset = userCount * d;
        var options = new RankingEvaluationOptions { Ks = [Options.ValidationK], MaxDegreeOfParallelism = maxDegreeOfParallelism };
        var report = RankingEvaluator.Evaluate(
            (user, scores) =>
            {
                var userVector = final.AsSpan(user * d, d);
                for (var i = 0; i < itemCount; i++) scores[i] = TensorPrimitives.Dot<float>(userVector, final.AsSpan(itemOffset + i * d, d));
            },
            itemCount, train, validation, options);
        var atK = report.ByK[Options.ValidationK];
        return Options.ValidationMetric == ValidationMetric.Recall ? atK.Recall : atK.Ndcg;
    }
}
