using Orleans.LlmRec.Recommendation.ColdStart;

namespace Orleans.LlmRec.Recommendation.UnitTests.ColdStart;

public class RidgeRegressionTests
{
    /// <summary>Targets made by a known linear map plus intercept, with a little noise: the fit must recover both.</summary>
    [Fact]
    public void Recovers_a_known_linear_map_and_intercept()
    {
        var random = new Random(5);
        const int p = 12, q = 4, n = 600;
        var truth = Enumerable.Range(0, (p + 1) * q).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var inputs = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, p).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var targets = inputs.Select(x =>
        {
            var y = new float[q];
            RidgeRegression.Predict(truth, x, y);
            for (var k = 0; k < q; k++) y[k] += (float)((random.NextDouble() - 0.5) * 0.01);
            return y;
        }).ToArray();

        var fitted = RidgeRegression.Fit(inputs, targets, lambda: 1e-3);

        for (var i = 0; i < truth.Length; i++) Assert.Equal(truth[i], fitted[i], 0.01);
    }

    [Fact]
    public void A_larger_lambda_shrinks_the_weights_but_not_the_intercept()
    {
        var random = new Random(9);
        var inputs = Enumerable.Range(0, 200).Select(_ => new[] { (float)random.NextDouble(), (float)random.NextDouble() }).ToArray();
        var targets = inputs.Select(x => new[] { 3 * x[0] - 2 * x[1] + 5 }).ToArray();

        var loose = RidgeRegression.Fit(inputs, targets, 0.001);
        var tight = RidgeRegression.Fit(inputs, targets, 1e6);

        Assert.True(Math.Abs(tight[0]) < 0.01 && Math.Abs(tight[1]) < 0.01);
        Assert.Equal(3, loose[0], 0.01);
        // With the slopes shrunk to zero, the intercept becomes the targets' mean, which the penalty does not touch.
        Assert.Equal(targets.Average(t => t[0]), tight[2], 0.01);
    }

    [Fact]
    public void Validation_picks_a_small_lambda_for_clean_data_and_a_larger_one_for_noise()
    {
        var random = new Random(2);
        const int p = 40;
        var inputs = Enumerable.Range(0, 120).Select(_ => Enumerable.Range(0, p).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var clean = inputs.Select(x => new[] { x[0] + x[1] }).ToArray();
        // Pure noise: nothing to learn, so the best map is the mean, reached by the strongest penalty.
        var noise = inputs.Select(_ => new[] { (float)(random.NextDouble() * 2 - 1) }).ToArray();
        double[] candidates = [0.001, 1, 1000];

        Assert.Equal(0.001, RidgeRegression.FitWithValidation(inputs, clean, candidates).Lambda);
        Assert.Equal(1000, RidgeRegression.FitWithValidation(inputs, noise, candidates).Lambda);
    }
}
