using System.Numerics.Tensors;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// Hyper-parameters of <see cref="SvdPlusPlusTrainer"/>: 20 factors, as Surprise's SVDpp. With Surprise's other
/// settings (20 epochs, lr 0.007, λ 0.02) this trainer matches Surprise's published ml-100k RMSE; the shared
/// <see cref="RatingSgdOptions"/> defaults do better (bench/RESULTS.md has the figures).
/// </summary>
public sealed record SvdPlusPlusOptions : RatingSgdOptions
{
    public SvdPlusPlusOptions() => Factors = 20;
}

/// <summary>
/// SVD++ (Koren, 2008), as Surprise's <c>SVDpp</c>:
/// <c>r̂(u, i) = μ + b_u + b_i + q_i · (p_u + |N(u)|^-½ Σ_{j ∈ N(u)} y_j)</c>, N(u) = the items u rated in training.
/// <para>
/// Surprise updates every y_j, j ∈ N(u), after each rating of u: O(|N(u)|·d) per rating. That update is the same
/// affine map for every j (y_j ← a y_j + lr e q_i / √|N(u)|, a = 1 − lr λ), so a run of u's ratings composes to
/// y_j ← a^m y_j + c_u. Visiting each user's ratings together, we carry c_u and the implicit sum
/// |N(u)|^-½ Σ y_j forward exactly in O(d) per rating and apply the composed map to N(u) once at the end of the
/// user: the same arithmetic as Surprise's, in O(|ratings|·d) per epoch instead of O(Σ_u |N(u)|²·d).
/// </para>
/// <para>
/// The epoch itself is sequential (users in a seeded order). Every user's implicit sum must see the y updates of
/// the users before it. Training users in parallel with the y changes deferred (DSGD strata, y merged once per
/// epoch or once per stratum) was tried: with Surprise's defaults its RMSE on ml-100k was worse than this exact
/// order's, and it was slower because of the merges. Only the final effective-vector pass runs in parallel.
/// </para>
/// The served model's user vectors are the effective ones, p_u + |N(u)|^-½ Σ y_j, so the generic scorer is exact;
/// p_u and y are kept in <see cref="EmbeddingModel.Extras"/> for fold-in.
/// </summary>
public sealed class SvdPlusPlusTrainer : IModelTrainer
{
    public SvdPlusPlusTrainer(SvdPlusPlusOptions? options = null)
    {
        Options = options ?? new SvdPlusPlusOptions();
        Options.Validate();
    }

    public SvdPlusPlusOptions Options { get; }

    public ModelKind Kind => ModelKind.SvdPlusPlus;

    public EmbeddingModel Train(RatingsDataset train, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var o = Options;
        var data = RatingTrainingSet.From(train);
        var matrix = data.Matrix;
        var d = o.Factors;
        var userCount = matrix.UserCount;
        var itemCount = matrix.ItemCount;
        var model = new EmbeddingModel(ModelKind.SvdPlusPlus, userCount, itemCount, d);
        var userFactors = new float[(long)userCount * d];
        var implicitFactors = new float[(long)itemCount * d];

        // Surprise's draw order: p, q, then y.
        var random = new Random(o.Seed);
        SeedMixer.FillGaussian(userFactors, random, o.InitStd);
        SeedMixer.FillGaussian(model.ItemVectors, random, o.InitStd);
        SeedMixer.FillGaussian(implicitFactors, random, o.InitStd);
        RatingTrainingSet.ZeroUnseenRows(userFactors, d, userCount, matrix.UserDegree);
        RatingTrainingSet.ZeroUnseenRows(model.ItemVectors, d, itemCount, matrix.ItemDegree);
        RatingTrainingSet.ZeroUnseenRows(implicitFactors, d, itemCount, matrix.ItemDegree);

        var kernel = new UserPass(
            model, userFactors, implicitFactors, data,
            (float)o.LearningRate, (float)o.Regularization,
            (float)(o.BiasLearningRate ?? o.LearningRate), (float)(o.BiasRegularization ?? o.Regularization));
        var activeUsers = Enumerable.Range(0, userCount).Where(u => matrix.UserDegree(u) > 0).ToArray();

        for (var epoch = 1; epoch <= o.Epochs; epoch++)
        {
            var epochRandom = new Random(SeedMixer.Derive(o.Seed, epoch));
            epochRandom.Shuffle(activeUsers);
            var squaredError = 0.0;
            for (var n = 0; n < activeUsers.Length; n++)
            {
                if ((n & 255) == 0) cancellationToken.ThrowIfCancellationRequested();
                squaredError += kernel.TrainUser(activeUsers[n], epochRandom);
            }
            progress?.Report(new TrainingProgress(epoch, o.Epochs, Math.Sqrt(squaredError / matrix.NonZeroCount), Note: "train RMSE (clipped, during the epoch)"));
        }

        var parallel = new ParallelOptions { CancellationToken = cancellationToken };
        Parallel.For(0, userCount, parallel, u =>
            EffectiveUserVector(userFactors.AsSpan(u * d, d), implicitFactors, d, matrix.ItemsOf(u), model.UserVector(u)));
        model.GlobalBias = (float)data.GlobalMean;
        model.Extras[RatingModelParameters.SvdPlusPlusUserFactors] = userFactors;
        model.Extras[RatingModelParameters.SvdPlusPlusImplicit] = implicitFactors;
        RecordParameters(model, o, data);
        return model;
    }

    /// <summary>
    /// <c>p + |N|^-½ Σ_{j ∈ N} y_j</c> for one user's explicit factors <paramref name="userFactors"/> and rated
    /// items <paramref name="ratedItems"/>, y being the [ItemCount, d] table <paramref name="implicitFactors"/>.
    /// With an empty N it is p itself. Fold-in of a new user calls it with the new user's p and items.
    /// </summary>
    public static void EffectiveUserVector(ReadOnlySpan<float> userFactors, ReadOnlySpan<float> implicitFactors, int dimension, ReadOnlySpan<int> ratedItems, Span<float> destination)
    {
        if (destination.Length != dimension)
        {
            throw new ArgumentException($"Expected a destination of {dimension} floats, got {destination.Length}.", nameof(destination));
        }
        if (userFactors.Length != dimension)
        {
            throw new ArgumentException($"Expected {dimension} user factors, got {userFactors.Length}.", nameof(userFactors));
        }
        destination.Clear();
        foreach (var j in ratedItems)
        {
            TensorPrimitives.Add(destination, implicitFactors.Slice(j * dimension, dimension), destination);
        }
        if (ratedItems.Length > 0)
        {
            TensorPrimitives.Multiply(destination, (float)(1.0 / Math.Sqrt(ratedItems.Length)), destination);
        }
        TensorPrimitives.Add(destination, userFactors, destination);
    }

    /// <summary>
    /// SVD++'s prediction from its own factors (p_u and y in <see cref="EmbeddingModel.Extras"/>, N(u) from the
    /// training matrix), unclipped: what the served score must equal.
    /// </summary>
    public static float Predict(EmbeddingModel model, InteractionMatrix train, int user, int item)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        var d = model.Dimension;
        var userFactors = model.Extras[RatingModelParameters.SvdPlusPlusUserFactors];
        var implicitFactors = model.Extras[RatingModelParameters.SvdPlusPlusImplicit];
        var effective = new float[d];
        EffectiveUserVector(userFactors.AsSpan(user * d, d), implicitFactors, d, train.ItemsOf(user), effective);
        return model.GlobalBias + model.UserBias[user] + model.ItemBias[item] + TensorPrimitives.Dot<float>(effective, model.ItemVector(item));
    }

    private static void RecordParameters(EmbeddingModel model, SvdPlusPlusOptions o, RatingTrainingSet data)
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
        p[RatingModelParameters.RatingMin] = data.MinRating;
        p[RatingModelParameters.RatingMax] = data.MaxRating;
    }

    /// <summary>One user's ratings, in a shuffled order, with the implicit term carried forward exactly (see the class remarks).</summary>
    internal sealed class UserPass
    {
        private readonly EmbeddingModel _model;
        private readonly float[] _userFactors;
        private readonly float[] _implicitFactors;
        private readonly RatingTrainingSet _data;
        private readonly InteractionMatrix _matrix;
        private readonly float _mu, _lr, _reg, _biasLr, _biasReg;

        // The matrix's rows, copied so their visiting order can be shuffled while ItemsOf stays sorted.
        private readonly int[] _visitItems;
        private readonly float[] _visitRatings;

        private readonly float[] _implicitSum;
        private readonly float[] _pendingImplicit;
        private readonly float[] _effective;
        private readonly float[] _step;

        public UserPass(EmbeddingModel model, float[] userFactors, float[] implicitFactors, RatingTrainingSet data, float lr, float reg, float biasLr, float biasReg)
        {
            _model = model;
            _userFactors = userFactors;
            _implicitFactors = implicitFactors;
            _data = data;
            _matrix = data.Matrix;
            _mu = (float)data.GlobalMean;
            _lr = lr;
            _reg = reg;
            _biasLr = biasLr;
            _biasReg = biasReg;
            _visitItems = (int[])_matrix.UserItems.Clone();
            _visitRatings = (float[])_matrix.UserRatings.Clone();
            var d = model.Dimension;
            _implicitSum = new float[d];
            _pendingImplicit = new float[d];
            _effective = new float[d];
            _step = new float[d];
        }

        /// <summary>
        /// Trains on all of <paramref name="u"/>'s ratings, reshuffled with <paramref name="visitOrder"/> (null keeps the
        /// current order, item order at first); returns their summed squared (clipped) error.
        /// </summary>
        public double TrainUser(int u, Random? visitOrder)
        {
            var d = _model.Dimension;
            var start = _matrix.UserOffsets[u];
            var end = _matrix.UserOffsets[u + 1];
            for (var k = end - 1; visitOrder is not null && k > start; k--)
            {
                var swap = visitOrder.Next(start, k + 1);
                (_visitItems[k], _visitItems[swap]) = (_visitItems[swap], _visitItems[k]);
                (_visitRatings[k], _visitRatings[swap]) = (_visitRatings[swap], _visitRatings[k]);
            }

            var ratedItems = _matrix.ItemsOf(u);
            var inverseSqrtDegree = (float)(1.0 / Math.Sqrt(ratedItems.Length));
            var implicitSum = _implicitSum.AsSpan();
            var pending = _pendingImplicit.AsSpan();
            var effective = _effective.AsSpan();
            var step = _step.AsSpan();
            implicitSum.Clear();
            foreach (var j in ratedItems)
            {
                TensorPrimitives.Add(implicitSum, _implicitFactors.AsSpan(j * d, d), implicitSum);
            }
            TensorPrimitives.Multiply(implicitSum, inverseSqrtDegree, implicitSum);
            pending.Clear();
            var pendingDecay = 1f;

            var itemVectors = _model.ItemVectors;
            var userBias = _model.UserBias;
            var itemBias = _model.ItemBias;
            var pu = _userFactors.AsSpan(u * d, d);
            var decay = 1f - _lr * _reg;
            var squaredError = 0.0;
            for (var k = start; k < end; k++)
            {
                var i = _visitItems[k];
                var rating = _visitRatings[k];
                var qi = itemVectors.AsSpan(i * d, d);

                TensorPrimitives.Add(pu, implicitSum, effective);
                var estimate = _mu + userBias[u] + itemBias[i] + TensorPrimitives.Dot<float>(qi, effective);
                var err = rating - estimate;
                var clippedErr = rating - _data.Clip(estimate);
                squaredError += (double)clippedErr * clippedErr;

                userBias[u] += _biasLr * (err - _biasReg * userBias[u]);
                itemBias[i] += _biasLr * (err - _biasReg * itemBias[i]);

                // Every update below takes the old q_i, through step = lr e q_i:
                // p_u ← a p_u + step; q_i ← a q_i + lr e (p_u + s_u); each y_j ← a y_j + step / √|N(u)|,
                // so s_u = |N(u)|^-½ Σ y_j ← a s_u + step and the pending offset c_u ← a c_u + step / √|N(u)|.
                var lrErr = _lr * err;
                TensorPrimitives.Multiply(qi, lrErr, step);
                TensorPrimitives.Multiply(qi, decay, qi);
                TensorPrimitives.MultiplyAdd(effective, lrErr, qi, qi);
                TensorPrimitives.MultiplyAdd(pu, decay, step, pu);
                TensorPrimitives.MultiplyAdd(implicitSum, decay, step, implicitSum);
                TensorPrimitives.Multiply(pending, decay, pending);
                TensorPrimitives.MultiplyAdd(step, inverseSqrtDegree, pending, pending);
                pendingDecay *= decay;
            }

            foreach (var j in ratedItems)
            {
                var yj = _implicitFactors.AsSpan(j * d, d);
                TensorPrimitives.MultiplyAdd(yj, pendingDecay, pending, yj);
            }
            return squaredError;
        }
    }
}
