using System.Numerics.Tensors;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.FoldIn;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;
using Xunit.Abstractions;
using static Orleans.LlmRec.Recommendation.UnitTests.FoldIn.FoldInWorld;

namespace Orleans.LlmRec.Recommendation.UnitTests.FoldIn;

/// <summary>
/// <see cref="UserFoldInTests"/>' "folding in a trained user ranks like their trained vector", extended to SVD++ and
/// LightGCN, on the same data and training settings, plus the identities fold-in keeps by design for those two.
/// </summary>
public class TrainedUserFoldInTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(ModelKind.SvdPlusPlus)]
    [InlineData(ModelKind.LightGcn)]
    public void FoldingInATrainedUserRanksLikeTheirTrainedVector(ModelKind kind)
    {
        var matrix = DataFor(kind).ToMatrix();
        var model = Train(kind);
        var foldIn = new UserFoldIn(model);
        var agreements = new List<double>();
        foreach (var user in Enumerable.Range(0, 40))
        {
            var folded = FoldInTrainingHistory(foldIn, kind, matrix, user);
            var trained = new float[model.ItemCount];
            var refolded = new float[model.ItemCount];
            model.ScoreAll(user, trained);
            model.ScoreAll(folded.Vector, folded.Bias, refolded);
            agreements.Add(Pearson(trained, refolded));
        }
        output.WriteLine($"{kind.ToName()}: mean correlation {agreements.Average():F3}, min {agreements.Min():F3}");
        Assert.True(agreements.Average() > 0.7, $"{kind.ToName()}: mean correlation of folded and trained scores is {agreements.Average():F3}.");
    }

    /// <summary>
    /// LightGCN's trained user vector is the mean over layers 0..L of the propagated user embeddings; fold-in rebuilds
    /// layers 1..L exactly from the stored item layers and degrees but cannot know the user's own ego (layer 0)
    /// embedding, which it takes as zero. So for a trained user, trained = folded + ego / (L + 1), to float rounding.
    /// </summary>
    [Fact]
    public void LightGcnFoldInIsTheTrainedVectorLessTheUsersEgoTerm()
    {
        var matrix = DataFor(ModelKind.LightGcn).ToMatrix();
        var model = Train(ModelKind.LightGcn);
        var foldIn = new UserFoldIn(model);
        var d = model.Dimension;
        var layers = (int)model.Parameters["lightgcn.layers"];
        var ego = model.Extras[LightGcnTrainer.UserEgoExtra];
        var worst = 0f;
        foreach (var user in Enumerable.Range(0, 40))
        {
            var folded = FoldInTrainingHistory(foldIn, ModelKind.LightGcn, matrix, user);
            var rebuilt = new float[d];
            TensorPrimitives.MultiplyAdd(ego.AsSpan(user * d, d), 1f / (layers + 1), folded.Vector, rebuilt);
            var trained = model.UserVector(user);
            var scale = TensorPrimitives.Norm<float>(trained);
            Assert.True(scale > 0, $"user {user} has a zero trained vector.");
            for (var j = 0; j < d; j++) worst = Math.Max(worst, Math.Abs(rebuilt[j] - trained[j]) / scale);
            Assert.Equal(0f, folded.Bias);
        }
        output.WriteLine($"lightgcn: worst |folded + ego/(L+1) − trained| / |trained| = {worst:E2}");
        Assert.True(worst < 1e-4f, $"folded + ego/(L+1) differs from the trained vector by {worst:E2} of its norm.");
    }

    /// <summary>
    /// SVD++'s effective vector is p_u + |N(u)|^−½ Σ y_j. Fold-in computes the same implicit sum and ridge-solves p and
    /// b_u against the user's ratings under the trainer's per-rating regularisation; SGD's trained p_u, b_u are an
    /// (early-stopped, jointly-trained) point of that same convex per-user objective, so the fold-in's optimum can
    /// never be worse on it. This holds exactly; the ranking agreement above is the looser, behavioural property.
    /// </summary>
    [Fact]
    public void SvdPlusPlusFoldInFitsTheUsersRatingsAtLeastAsWellAsTheTrainedFactors()
    {
        var matrix = DataFor(ModelKind.SvdPlusPlus).ToMatrix();
        var model = Train(ModelKind.SvdPlusPlus);
        var foldIn = new UserFoldIn(model);
        var reg = model.Parameters[RatingModelParameters.Regularization];
        var regBias = model.Parameters.TryGetValue(RatingModelParameters.BiasRegularization, out var rb) && rb > 0 ? rb : reg;
        foreach (var user in Enumerable.Range(0, 40))
        {
            var folded = FoldInTrainingHistory(foldIn, ModelKind.SvdPlusPlus, matrix, user);
            var foldedObjective = Objective(model, matrix, user, folded.Vector, folded.Bias, reg, regBias);
            var trainedObjective = Objective(model, matrix, user, model.UserVector(user).ToArray(), model.UserBias[user], reg, regBias);
            Assert.True(foldedObjective <= trainedObjective * (1 + 1e-4),
                $"user {user}: fold-in's regularised loss {foldedObjective:F4} is above the trained factors' {trainedObjective:F4}.");
        }
    }

    /// <summary>
    /// The per-user objective fold-in minimises: Σ (r − μ − b_i − b_u − q_i·v)² + λ·n·|p|² + λ_b·n·b_u², with
    /// p = v − |N|^−½ Σ y_j (the explicit factors) and n the user's rating count.
    /// </summary>
    private static double Objective(EmbeddingModel model, InteractionMatrix matrix, int user, float[] vector, float bias, double reg, double regBias)
    {
        var d = model.Dimension;
        var items = matrix.ItemsOf(user);
        var ratings = matrix.RatingsOf(user);
        var implicitSum = new float[d];
        var y = model.Extras[RatingModelParameters.SvdPlusPlusImplicit];
        foreach (var item in items) TensorPrimitives.Add(implicitSum, y.AsSpan(item * d, d), implicitSum);
        TensorPrimitives.Multiply(implicitSum, 1f / MathF.Sqrt(items.Length), implicitSum);
        var loss = 0.0;
        for (var n = 0; n < items.Length; n++)
        {
            var prediction = model.GlobalBias + model.ItemBias[items[n]] + bias + TensorPrimitives.Dot<float>(vector, model.ItemVector(items[n]));
            loss += Math.Pow(ratings[n] - prediction, 2);
        }
        var explicitNorm = 0.0;
        for (var j = 0; j < d; j++) explicitNorm += Math.Pow(vector[j] - implicitSum[j], 2);
        return loss + reg * items.Length * explicitNorm + regBias * items.Length * bias * bias;
    }

    private static double Pearson(float[] x, float[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxy / Math.Sqrt(sxx * syy);
    }
}
