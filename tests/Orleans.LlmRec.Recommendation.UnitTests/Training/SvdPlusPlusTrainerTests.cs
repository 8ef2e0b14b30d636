using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.UnitTests.Training;

public class SvdPlusPlusTrainerTests
{
    private static readonly SvdPlusPlusOptions Small = new() { Factors = 6, Epochs = 20, Seed = 5 };

    [Fact]
    public void Learns_low_rank_ratings_far_better_than_the_global_mean()
    {
        var (train, test) = LowRankRatings.Split(LowRankRatings.Generate());
        var baseline = LowRankRatings.GlobalMeanRmse(train, test);

        var model = new SvdPlusPlusTrainer().Train(train);

        var (testRmse, _) = RatingMetrics.Evaluate(model, test, 1f, 5f);
        var (trainRmse, _) = RatingMetrics.Evaluate(model, train.Interactions, 1f, 5f);
        Assert.True(testRmse < 0.7 * baseline, $"test RMSE {testRmse:F3} vs global-mean baseline {baseline:F3}");
        Assert.True(trainRmse < testRmse, $"train RMSE {trainRmse:F3} should be below test RMSE {testRmse:F3}");
    }

    [Fact]
    public void Same_seed_gives_identical_weights_and_another_seed_does_not()
    {
        var train = LowRankRatings.Generate(users: 80, items: 60);

        var first = new SvdPlusPlusTrainer(Small).Train(train);
        var again = new SvdPlusPlusTrainer(Small).Train(train);
        var other = new SvdPlusPlusTrainer(Small with { Seed = 6 }).Train(train);

        SvdTrainerTests.AssertSameWeights(first, again);
        Assert.NotEqual(first.ItemVectors, other.ItemVectors);
    }

    [Fact]
    public void Served_score_equals_the_factor_prediction_with_the_implicit_term()
    {
        var (train, test) = LowRankRatings.Split(LowRankRatings.Generate(users: 60, items: 50));
        var matrix = train.ToMatrix();

        var model = new SvdPlusPlusTrainer(Small).Train(train);

        Assert.Equal(ModelKind.SvdPlusPlus, model.Kind);
        Assert.Equal(60 * Small.Factors, model.Extras[RatingModelParameters.SvdPlusPlusUserFactors].Length);
        Assert.Equal(50 * Small.Factors, model.Extras[RatingModelParameters.SvdPlusPlusImplicit].Length);
        foreach (var x in test.Concat(train.Interactions.Take(200)))
        {
            Assert.Equal(SvdPlusPlusTrainer.Predict(model, matrix, x.User, x.Item), model.Score(x.User, x.Item), 4);
        }
        // The implicit term matters: the effective vector is not p_u alone.
        var userFactors = model.Extras[RatingModelParameters.SvdPlusPlusUserFactors];
        Assert.NotEqual(userFactors.AsSpan(0, Small.Factors).ToArray(), model.UserVector(0).ToArray());
    }

    [Fact]
    public void Effective_user_vector_is_p_plus_scaled_sum_of_implicit_factors()
    {
        float[] p = [1f, -1f];
        float[] y = [1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f]; // four items, d = 2
        var destination = new float[2];

        SvdPlusPlusTrainer.EffectiveUserVector(p, y, 2, [0, 3], destination);
        Assert.Equal(1f + (1f + 7f) / MathF.Sqrt(2), destination[0], 5);
        Assert.Equal(-1f + (2f + 8f) / MathF.Sqrt(2), destination[1], 5);

        SvdPlusPlusTrainer.EffectiveUserVector(p, y, 2, [], destination);
        Assert.Equal(p, destination);
    }

    [Fact]
    public void Unseen_users_and_items_fall_back_to_biases()
    {
        var users = new IdMap(["a", "b", "c"]);
        var items = new IdMap(["x", "y", "z"]);
        Interaction[] ratings = [new(0, 0, 5, 0), new(0, 1, 3, 0), new(1, 0, 2, 0), new(1, 1, 4, 0)];

        var model = new SvdPlusPlusTrainer(Small).Train(new RatingsDataset("tiny", users, items, ratings));

        Assert.Equal(model.GlobalBias + model.UserBias[0], model.Score(0, 2), 6);
        Assert.Equal(model.GlobalBias + model.ItemBias[1], model.Score(2, 1), 6);
        Assert.Equal(0f, model.UserBias[2]);
        Assert.Equal(0f, model.ItemBias[2]);
    }

    /// <summary>
    /// The O(d)-per-rating user pass must do what Surprise's SVDpp does with O(|N(u)|·d) per rating: after every
    /// rating of u, update every y_j of N(u). Both run two epochs, users and items in index order.
    /// </summary>
    [Fact]
    public void User_pass_equals_the_naive_per_rating_update_of_every_implicit_factor()
    {
        const int d = 3;
        const float lr = 0.02f, reg = 0.05f, biasLr = 0.01f, biasReg = 0.03f;
        var train = LowRankRatings.Generate(users: 12, items: 10, density: 0.6, seed: 11);
        var data = RatingTrainingSet.From(train);
        var matrix = data.Matrix;
        var random = new Random(4);
        float[] Draw(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - 0.5) * 0.2f).ToArray();
        var model = new EmbeddingModel(ModelKind.SvdPlusPlus, matrix.UserCount, matrix.ItemCount, d);
        var p = Draw(matrix.UserCount * d);
        var y = Draw(matrix.ItemCount * d);
        Draw(matrix.ItemCount * d).CopyTo(model.ItemVectors, 0);
        var q = model.ItemVectors.Select(v => (double)v).ToArray();
        var naiveP = p.Select(v => (double)v).ToArray();
        var naiveY = y.Select(v => (double)v).ToArray();
        var naiveBu = new double[matrix.UserCount];
        var naiveBi = new double[matrix.ItemCount];

        var pass = new SvdPlusPlusTrainer.UserPass(model, p, y, data, lr, reg, biasLr, biasReg);
        for (var epoch = 0; epoch < 2; epoch++)
        {
            for (var u = 0; u < matrix.UserCount; u++)
            {
                if (matrix.UserDegree(u) == 0) continue;
                pass.TrainUser(u, null);
                NaiveUser(u);
            }
        }

        AssertClose(naiveP, p);
        AssertClose(naiveY, y);
        AssertClose(q, model.ItemVectors);
        AssertClose(naiveBu, model.UserBias);
        AssertClose(naiveBi, model.ItemBias);

        void NaiveUser(int u)
        {
            var rated = matrix.ItemsOf(u).ToArray();
            var values = matrix.RatingsOf(u).ToArray();
            var sqrtN = Math.Sqrt(rated.Length);
            for (var k = 0; k < rated.Length; k++)
            {
                var i = rated[k];
                var implicitSum = new double[d];
                foreach (var j in rated) for (var f = 0; f < d; f++) implicitSum[f] += naiveY[j * d + f] / sqrtN;
                var dot = 0.0;
                for (var f = 0; f < d; f++) dot += q[i * d + f] * (naiveP[u * d + f] + implicitSum[f]);
                var err = values[k] - (data.GlobalMean + naiveBu[u] + naiveBi[i] + dot);
                naiveBu[u] += biasLr * (err - biasReg * naiveBu[u]);
                naiveBi[i] += biasLr * (err - biasReg * naiveBi[i]);
                for (var f = 0; f < d; f++)
                {
                    var puf = naiveP[u * d + f];
                    var qif = q[i * d + f];
                    naiveP[u * d + f] += lr * (err * qif - reg * puf);
                    q[i * d + f] += lr * (err * (puf + implicitSum[f]) - reg * qif);
                    foreach (var j in rated) naiveY[j * d + f] += lr * (err * qif / sqrtN - reg * naiveY[j * d + f]);
                }
            }
        }
    }

    [Fact]
    public void Honours_cancellation_and_rejects_invalid_options()
    {
        var train = LowRankRatings.Generate(users: 40, items: 30);
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => new SvdPlusPlusTrainer(Small).Train(train, null, cancellation.Token));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SvdPlusPlusTrainer(new SvdPlusPlusOptions { Epochs = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SvdPlusPlusTrainer(new SvdPlusPlusOptions { Regularization = -1 }));
    }

    [Fact]
    public void Reports_each_epoch_with_falling_training_error()
    {
        var train = LowRankRatings.Generate(users: 80, items: 60);
        var reports = new List<TrainingProgress>();

        var model = new SvdPlusPlusTrainer(Small).Train(train, new ImmediateProgress(reports.Add));

        Assert.Equal(Enumerable.Range(1, Small.Epochs), reports.Select(r => r.Epoch));
        Assert.True(reports[^1].Loss < 0.85 * reports[0].Loss, $"train RMSE went {reports[0].Loss:F3} → {reports[^1].Loss:F3}");
        Assert.Equal(Small.Regularization, model.Parameters[RatingModelParameters.Regularization]);
    }

    private static void AssertClose(IReadOnlyList<double> expected, IReadOnlyList<float> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var k = 0; k < expected.Count; k++)
        {
            Assert.True(Math.Abs(expected[k] - actual[k]) < 2e-4, $"element {k}: expected {expected[k]}, got {actual[k]}");
        }
    }
}
