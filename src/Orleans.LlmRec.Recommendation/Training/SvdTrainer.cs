using System.Numerics.Tensors;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// Hyper-parameters of <see cref="SvdTrainer"/>: 100 factors, as Surprise's SVD. With Surprise's other settings
/// (20 epochs, lr 0.005, λ 0.02) this trainer matches Surprise's published ml-100k RMSE; the shared
/// <see cref="RatingSgdOptions"/> defaults do better (bench/RESULTS.md has the figures).
/// </summary>
public sealed record SvdOptions : RatingSgdOptions
{
    public SvdOptions() => Factors = 100;

    /// <summary>
    /// P of the P × P stratification. Part of the algorithm (the visiting order depends on it), so it is an option
    /// and not the core count: the same options give the same weights on any machine size.
    /// </summary>
    public int Blocks { get; init; } = 8;

    /// <summary>Threads to use; -1 for all cores. Does not change the result.</summary>
    public int MaxDegreeOfParallelism { get; init; } = -1;

    internal override void Validate()
    {
        base.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(Blocks, 1, nameof(Blocks));
        if (MaxDegreeOfParallelism is 0 or < -1) throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), MaxDegreeOfParallelism, "Use -1 or a positive count.");
    }
}

/// <summary>
/// Biased matrix factorisation trained by SGD on explicit ratings (Funk SVD, as Surprise's <c>SVD</c>):
/// <c>r̂(u, i) = μ + b_u + b_i + q_i · p_u</c>, each rating stepping
/// <c>b_u += lr(e − λ b_u)</c>, <c>b_i += lr(e − λ b_i)</c>, <c>p_u += lr(e q_i − λ p_u)</c>, <c>q_i += lr(e p_u − λ q_i)</c>.
/// Epochs run DSGD strata in parallel (see <see cref="StratifiedRatingBlocks"/>), so the weights depend on the
/// options and the data only.
/// </summary>
public sealed class SvdTrainer : IModelTrainer
{
    public SvdTrainer(SvdOptions? options = null)
    {
        Options = options ?? new SvdOptions();
        Options.Validate();
    }

    public SvdOptions Options { get; }

    public ModelKind Kind => ModelKind.Svd;

    public EmbeddingModel Train(RatingsDataset train, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var o = Options;
        var data = RatingTrainingSet.From(train);
        var matrix = data.Matrix;
        var d = o.Factors;
        var model = new EmbeddingModel(ModelKind.Svd, matrix.UserCount, matrix.ItemCount, d);

        var random = new Random(o.Seed);
        SeedMixer.FillGaussian(model.UserVectors, random, o.InitStd);
        SeedMixer.FillGaussian(model.ItemVectors, random, o.InitStd);
        RatingTrainingSet.ZeroUnseenRows(model.UserVectors, d, matrix.UserCount, matrix.UserDegree);
        RatingTrainingSet.ZeroUnseenRows(model.ItemVectors, d, matrix.ItemCount, matrix.ItemDegree);

        var blocks = StratifiedRatingBlocks.Build(matrix, o.Blocks);
        var kernel = new SgdKernel(
            model, blocks, data, (float)data.GlobalMean,
            (float)o.LearningRate, (float)o.Regularization,
            (float)(o.BiasLearningRate ?? o.LearningRate), (float)(o.BiasRegularization ?? o.Regularization));
        var parallel = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = o.MaxDegreeOfParallelism };

        for (var epoch = 1; epoch <= o.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var squaredError = blocks.RunEpoch(o.Seed, epoch, parallel, kernel.TrainCell);
            progress?.Report(new TrainingProgress(epoch, o.Epochs, Math.Sqrt(squaredError / blocks.Count), Note: "train RMSE (clipped, during the epoch)"));
        }

        model.GlobalBias = (float)data.GlobalMean;
        RecordParameters(model, o, data);
        return model;
    }

    private static void RecordParameters(EmbeddingModel model, SvdOptions o, RatingTrainingSet data)
    {
        var p = model.Parameters;
        p[RatingModelParameters.Factors] = o.Factors;
        p[RatingModelParameters.Epochs] = o.Epochs;
        p[RatingModelParameters.LearningRate] = o.LearningRate;
        p[RatingModelParameters.Regularization] = o.Regularization;
        p[RatingModelParameters.BiasLearningRate] = o.BiasLearningRate ?? o.LearningRate;
        p[RatingModelParameters.BiasRegularization] = o.BiasRegularization ?? o.Regularization;
        p[RatingModelParameters.InitStd] = o.InitStd;
        p[RatingModelParameters.Seed] = o.Seed;
        p[RatingModelParameters.Blocks] = o.Blocks;
        p[RatingModelParameters.RatingMin] = data.MinRating;
        p[RatingModelParameters.RatingMax] = data.MaxRating;
    }

    /// <summary>The per-rating SGD step over one cell; cells of a stratum touch disjoint rows, so they run concurrently.</summary>
    private sealed class SgdKernel(EmbeddingModel model, StratifiedRatingBlocks blocks, RatingTrainingSet data, float mu, float lr, float reg, float biasLr, float biasReg)
    {
        private readonly float[][] _scratch = CreateScratch(blocks.BlockCount, model.Dimension);

        private static float[][] CreateScratch(int count, int dimension)
        {
            var scratch = new float[count][];
            for (var k = 0; k < count; k++) scratch[k] = new float[dimension];
            return scratch;
        }

        public double TrainCell(int worker, int start, int end)
        {
            var d = model.Dimension;
            var userVectors = model.UserVectors;
            var itemVectors = model.ItemVectors;
            var userBias = model.UserBias;
            var itemBias = model.ItemBias;
            var oldUser = _scratch[worker].AsSpan();
            var decay = 1f - lr * reg;
            var squaredError = 0.0;
            for (var k = start; k < end; k++)
            {
                var u = blocks.Users[k];
                var i = blocks.Items[k];
                var pu = userVectors.AsSpan(u * d, d);
                var qi = itemVectors.AsSpan(i * d, d);
                var estimate = mu + userBias[u] + itemBias[i] + TensorPrimitives.Dot<float>(pu, qi);
                var err = blocks.Ratings[k] - estimate;
                var clippedErr = blocks.Ratings[k] - data.Clip(estimate);
                squaredError += (double)clippedErr * clippedErr;

                userBias[u] += biasLr * (err - biasReg * userBias[u]);
                itemBias[i] += biasLr * (err - biasReg * itemBias[i]);

                // p_u ← (1 − lr λ) p_u + lr e q_i and q_i ← (1 − lr λ) q_i + lr e p_u(old): keep lr e p_u(old) aside first.
                var step = lr * err;
                TensorPrimitives.Multiply(pu, step, oldUser);
                TensorPrimitives.Multiply(pu, decay, pu);
                TensorPrimitives.MultiplyAdd(qi, step, pu, pu);
                TensorPrimitives.MultiplyAdd(qi, decay, oldUser, qi);
            }
            return squaredError;
        }
    }
}
