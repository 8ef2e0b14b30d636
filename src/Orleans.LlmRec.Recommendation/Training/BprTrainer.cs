using System.Numerics.Tensors;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// BPR-MF (Rendle et al. 2009): every training interaction is a positive; for triples (u, i, j) with j an item u has
/// not interacted with, maximise ln σ(x_ui − x_uj) − λ‖Θ‖², x_ui = b_i + ⟨p_u, q_i⟩, by stochastic gradient ascent.
/// Parallel without Hogwild races: a mini-batch's gradients are computed concurrently from the same parameters, then
/// added row by row in triple order, and each batch draws from its own seeded generator, so a seed fixes the weights.
/// </summary>
public sealed class BprTrainer(BprOptions? options = null) : IModelTrainer
{
    public BprOptions Options { get; } = options ?? new BprOptions();

    public ModelKind Kind => ModelKind.Bpr;

    public EmbeddingModel Train(RatingsDataset train, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var o = Options;
        o.Validate();
        var matrix = train.ToMatrix();
        o.Augmentation?.Validate(train.UserCount, train.ItemCount);
        var sampler = new BprTripleSampler(matrix);
        var d = o.Factors;
        var model = new EmbeddingModel(ModelKind.Bpr, train.UserCount, train.ItemCount, d);
        var userFactors = model.UserVectors;
        var itemFactors = model.ItemVectors;
        var itemBias = model.ItemBias;
        var init = SplitMixRandom.ForStream(o.Seed, -1, -1);
        init.FillGaussian(userFactors, o.InitStd);
        init.FillGaussian(itemFactors, o.InitStd);

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = o.MaxDegreeOfParallelism ?? Environment.ProcessorCount, CancellationToken = cancellationToken };
        var batch = o.BatchSizeFor(sampler.PairCount);
        var augmented = AugmentedBatch.Create(o.Augmentation, batch, o.Seed);
        var capacity = batch + (augmented?.PerBatch ?? 0);
        var users = new int[capacity];
        var positives = new int[capacity];
        var negatives = new int[capacity];
        var itemRows = new int[2 * capacity];
        var userGradients = new float[capacity * d];
        var itemGradients = new float[2 * capacity * d];
        var biasGradients = new float[2 * capacity];
        var losses = new double[capacity];
        var userScatter = new RowGradientScatter();
        var itemScatter = new RowGradientScatter();
        var lr = (float)o.LearningRate;
        var reg = (float)o.Regularization;
        var useBias = o.UseItemBias;
        var pairs = sampler.PairCount;
        var batchesPerEpoch = Math.Max(1, (pairs + batch - 1) / batch);

        for (var epoch = 1; epoch <= o.Epochs && pairs > 0; epoch++)
        {
            var order = o.Sampling == BprSampling.Interactions ? sampler.ShuffledPairs(o.Seed, epoch) : null;
            var epochLoss = 0.0;
            for (var b = 0; b < batchesPerEpoch; b++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var start = b * batch;
                var size = Math.Min(batch, pairs - start);
                var rng = SplitMixRandom.ForStream(o.Seed, epoch, b);
                sampler.Fill(o.Sampling, order, start, ref rng, users.AsSpan(0, size), positives.AsSpan(0, size), negatives.AsSpan(0, size));
                var total = size;
                if (augmented is not null)
                {
                    total += augmented.Fill(epoch, b, size, users, positives, negatives, (u, i, j) =>
                    {
                        var pu = userFactors.AsSpan(u * d, d);
                        var x = (useBias ? itemBias[i] - itemBias[j] : 0f)
                            + TensorPrimitives.Dot<float>(pu, itemFactors.AsSpan(i * d, d)) - TensorPrimitives.Dot<float>(pu, itemFactors.AsSpan(j * d, d));
                        return Softplus(-x);
                    });
                }

                Parallel.For(0, total, parallel, t =>
                {
                    var pu = userFactors.AsSpan(users[t] * d, d);
                    var qi = itemFactors.AsSpan(positives[t] * d, d);
                    var qj = itemFactors.AsSpan(negatives[t] * d, d);
                    var gu = userGradients.AsSpan(t * d, d);
                    var gi = itemGradients.AsSpan(2 * t * d, d);
                    var gj = itemGradients.AsSpan((2 * t + 1) * d, d);
                    var bi = useBias ? itemBias[positives[t]] : 0f;
                    var bj = useBias ? itemBias[negatives[t]] : 0f;
                    var x = bi - bj + TensorPrimitives.Dot<float>(pu, qi) - TensorPrimitives.Dot<float>(pu, qj);
                    // ∂/∂x ln σ(x) = σ(−x)
                    var z = (float)(1.0 / (1.0 + Math.Exp(x)));
                    losses[t] = Softplus(-x);
                    // gu = z(qi − qj) − λ pu ; gi = z pu − λ qi ; gj = −z pu − λ qj
                    TensorPrimitives.Subtract(qi, qj, gu);
                    TensorPrimitives.Multiply(gu, z, gu);
                    TensorPrimitives.MultiplyAdd(pu, -reg, gu, gu);
                    TensorPrimitives.Multiply(pu, z, gi);
                    TensorPrimitives.MultiplyAdd(qi, -reg, gi, gi);
                    TensorPrimitives.Multiply(pu, -z, gj);
                    TensorPrimitives.MultiplyAdd(qj, -reg, gj, gj);
                    biasGradients[2 * t] = z - reg * bi;
                    biasGradients[2 * t + 1] = -z - reg * bj;
                });
                for (var t = 0; t < total; t++)
                {
                    itemRows[2 * t] = positives[t];
                    itemRows[2 * t + 1] = negatives[t];
                    // The reported loss stays the data's own, comparable with and without augmentation.
                    if (t < size) epochLoss += losses[t];
                }
                userScatter.Group(users.AsSpan(0, total));
                itemScatter.Group(itemRows.AsSpan(0, 2 * total));
                userScatter.AddInto(userGradients, userFactors, d, lr, parallel);
                itemScatter.AddInto(itemGradients, itemFactors, d, lr, parallel);
                if (useBias)
                {
                    for (var s = 0; s < 2 * total; s++) itemBias[itemRows[s]] += lr * biasGradients[s];
                }
            }
            progress?.Report(new TrainingProgress(epoch, o.Epochs, epochLoss / pairs));
        }

        model.Parameters["factors"] = d;
        model.Parameters["epochs"] = o.Epochs;
        model.Parameters["lr"] = lr;
        model.Parameters["reg"] = reg;
        model.Parameters["item_bias"] = o.UseItemBias ? 1 : 0;
        model.Parameters["batch_size"] = batch;
        model.Parameters["init_std"] = o.InitStd;
        model.Parameters["seed"] = o.Seed;
        if (augmented is not null) o.Augmentation!.Describe(model.Parameters);
        return model;
    }

    internal static double Softplus(double x) => x > 0 ? x + double.LogP1(Math.Exp(-x)) : double.LogP1(Math.Exp(x));
}
