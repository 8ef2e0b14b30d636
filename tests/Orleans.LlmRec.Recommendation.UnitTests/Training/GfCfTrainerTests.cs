using MathNet.Numerics.LinearAlgebra;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.FoldIn;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.UnitTests.Training;

public class GfCfTrainerTests
{
    [Fact]
    public void ScoresAreThePapersFormulaComputedDensely()
    {
        // Exact linear filter (rank = the smaller side) and a 4-component ideal low-pass filter.
        var matrix = ItemSpectrumTests.RandomMatrix(users: 25, items: 40, density: 0.15, seed: 8);
        var data = Dataset(matrix);
        var alpha = 0.3;
        var model = new GfCfTrainer(new GfCfOptions { Factors = 4, Alpha = alpha, LinearRank = 100, Seed = 1, ValidationFraction = 0 }).Train(data);
        Assert.Equal(25 + 4, model.Dimension);
        Assert.Equal(1, model.Parameters["gfcf.exact_linear"]);

        // s = r·R̃ᵀR̃ + α·r·D_I^-1/2 V_k V_kᵀ D_I^1/2, from the definitions.
        var r = Matrix<double>.Build.Dense(matrix.UserCount, matrix.ItemCount);
        var binary = Matrix<double>.Build.Dense(matrix.UserCount, matrix.ItemCount);
        for (var u = 0; u < matrix.UserCount; u++)
        {
            foreach (var i in matrix.ItemsOf(u))
            {
                binary[u, i] = 1;
                r[u, i] = 1 / Math.Sqrt((double)matrix.UserDegree(u) * matrix.ItemDegree(i));
            }
        }
        var (_, vectors) = ItemSpectrumTests.DenseReference(matrix);
        var vk = vectors.SubMatrix(0, matrix.ItemCount, 0, 4);
        var inverseRoot = Matrix<double>.Build.DiagonalOfDiagonalArray(Enumerable.Range(0, matrix.ItemCount).Select(i => 1 / Math.Sqrt(matrix.ItemDegree(i))).ToArray());
        var root = Matrix<double>.Build.DiagonalOfDiagonalArray(Enumerable.Range(0, matrix.ItemCount).Select(i => Math.Sqrt(matrix.ItemDegree(i))).ToArray());
        var expected = binary * r.Transpose() * r + alpha * (binary * inverseRoot * vk * vk.Transpose() * root);

        for (var u = 0; u < matrix.UserCount; u++)
        {
            for (var i = 0; i < matrix.ItemCount; i++) Assert.Equal(expected[u, i], model.Score(u, i), 1e-5);
        }
    }

    [Fact]
    public void FoldingInAUsersOwnRowGivesTheirTrainedVector()
    {
        var data = SyntheticCatalogue.Generate(new SyntheticCatalogueOptions { Seed = 4, UserCount = 200, ItemCount = 300, MeanInteractionsPerUser = 25 });
        var matrix = data.ToMatrix();
        var model = new GfCfTrainer(new GfCfOptions { Factors = 32, LinearRank = 64, Seed = 2 }).Train(data);
        var foldIn = new UserFoldIn(model);
        for (var user = 0; user < data.UserCount; user++)
        {
            // As the service sees a history: clicks in any order, some repeated, plus a dislike that fold-in leaves out.
            var clicks = matrix.ItemsOf(user).ToArray().Reverse().Select(FoldInInteraction.Click).ToList();
            clicks.Add(clicks[0]);
            var disliked = Enumerable.Range(0, data.ItemCount).First(i => !matrix.Contains(user, i));
            clicks.Add(new FoldInInteraction(disliked, 1f, Negative: true));
            var folded = foldIn.Compute(clicks.ToArray());

            Assert.Equal(matrix.UserDegree(user), folded.UsedInteractions);
            Assert.Equal(model.UserVector(user).ToArray(), folded.Vector);
            Assert.Equal(0f, folded.Bias);
        }
    }

    [Fact]
    public void ANewClickMovesTheScoresByThatItemsRow()
    {
        var data = SyntheticCatalogue.Generate(new SyntheticCatalogueOptions { Seed = 4, UserCount = 200, ItemCount = 300, MeanInteractionsPerUser = 25 });
        var model = new GfCfTrainer(new GfCfOptions { Factors = 32, LinearRank = 64, Seed = 2 }).Train(data);
        var foldIn = new UserFoldIn(model);
        var before = foldIn.Compute([FoldInInteraction.Click(3), FoldInInteraction.Click(10)]);
        var after = foldIn.Compute([FoldInInteraction.Click(3), FoldInInteraction.Click(10), FoldInInteraction.Click(42)]);
        var row = model.Extras[GfCfTrainer.UserProjectionExtra].AsSpan(42 * model.Dimension, model.Dimension);
        for (var j = 0; j < model.Dimension; j++) Assert.Equal(before.Vector[j] + row[j], after.Vector[j], 1e-6);
    }

    [Fact]
    public void BeatsPopularityOnClusteredFeedback()
    {
        var (train, test) = ClusteredFeedback.Generate();
        var popularity = ClusteredFeedback.NdcgAt10(new PopularityTrainer().Train(train), train, test);
        var gfcf = ClusteredFeedback.NdcgAt10(new GfCfTrainer(new GfCfOptions { Factors = 8 }).Train(train), train, test);

        Assert.True(gfcf > popularity + 0.2, $"GF-CF nDCG@10 {gfcf:F3} should clearly beat popularity {popularity:F3}.");
        Assert.True(gfcf > 0.55, $"GF-CF nDCG@10 {gfcf:F3} should find each user's block.");
    }

    [Fact]
    public void BeatsPopularityOnTheSyntheticCatalogue()
    {
        var data = SyntheticCatalogue.Generate(new SyntheticCatalogueOptions { Seed = 12, UserCount = 400, ItemCount = 500, MeanInteractionsPerUser = 30 });
        var split = Splits.Stratified(data.Interactions, 0.75, StratifyBy.User, 42);
        var train = data.WithInteractions(split.Train, "train");
        var trainMatrix = train.ToMatrix();
        double Ndcg(EmbeddingModel model) => Recommendation.Evaluation.RankingEvaluator.Evaluate(model, trainMatrix, split.Test).ByK[10].Ndcg;

        var popularity = Ndcg(new PopularityTrainer().Train(train));
        var gfcf = Ndcg(new GfCfTrainer().Train(train));
        Assert.True(gfcf > popularity * 1.1, $"GF-CF nDCG@10 {gfcf:F4} should beat popularity {popularity:F4}.");
    }

    [Fact]
    public void SameSeedGivesIdenticalWeightsWhateverTheThreadCount()
    {
        var (train, _) = ClusteredFeedback.Generate();
        var options = new GfCfOptions { Factors = 6, LinearRank = 20, Oversampling = 4 };
        var one = new GfCfTrainer(options with { MaxDegreeOfParallelism = 1 }).Train(train);
        var two = new GfCfTrainer(options with { MaxDegreeOfParallelism = 2 }).Train(train);
        Assert.Equal(ClusteredFeedback.WeightsChecksum(one), ClusteredFeedback.WeightsChecksum(two));
    }

    [Fact]
    public void SettingsReachTheTrainerAndRanksAreCappedByTheData()
    {
        var trainer = (GfCfTrainer)ModelTrainers.Create(ModelKind.GfCf, new TrainerSettings { Factors = 5, FilterAlpha = 0.7, LinearRank = 9, Epochs = 3, ValidationFraction = 0.2 });
        Assert.Equal((5, 0.7, 9, 0.2), (trainer.Options.Factors, trainer.Options.Alpha, trainer.Options.LinearRank, trainer.Options.ValidationFraction));
        Assert.Equal(new GfCfOptions(), ((GfCfTrainer)ModelTrainers.Create(ModelKind.GfCf)).Options);

        var (train, _) = ClusteredFeedback.Generate();
        var model = new GfCfTrainer(new GfCfOptions { Factors = 1000, LinearRank = 1000, ValidationFraction = 0 }).Train(train);
        var smaller = Math.Min(train.UserCount, train.ItemCount);
        Assert.Equal(2 * smaller, model.Dimension);
        var linearOnly = new GfCfTrainer(new GfCfOptions { Alpha = 0, LinearRank = 7 }).Train(train);
        Assert.Equal(7, linearOnly.Dimension);
        Assert.Throws<ArgumentException>(() => new GfCfTrainer(new GfCfOptions { Alpha = 0, LinearRank = 0 }).Train(train));
    }

    [Fact]
    public void AValidationSplitChoosesTheFilterAmongTheCandidatesAndTheModelRecordsIt()
    {
        var data = SyntheticCatalogue.Generate(new SyntheticCatalogueOptions { Seed = 6, UserCount = 300, ItemCount = 400, MeanInteractionsPerUser = 30 });
        var options = new GfCfOptions { Factors = 64, LinearRank = 128 };
        var model = new GfCfTrainer(options).Train(data);

        var k = (int)model.Parameters["factors"];
        var alpha = model.Parameters["gfcf.alpha"];
        Assert.Contains(alpha, options.AlphaCandidates());
        if (alpha > 0) Assert.Contains(k, options.IdealRankCandidates());
        else Assert.Equal(0, k);
        Assert.Equal(128 + k, model.Dimension);
        Assert.InRange(model.Parameters["validation.ndcg@20"], 0.01, 1);
        // The choice is the seed's: the same run again gives the same model.
        Assert.Equal(ClusteredFeedback.WeightsChecksum(model), ClusteredFeedback.WeightsChecksum(new GfCfTrainer(options).Train(data)));
    }

    private static RatingsDataset Dataset(InteractionMatrix matrix)
    {
        var interactions = new List<Interaction>();
        for (var u = 0; u < matrix.UserCount; u++)
        {
            foreach (var i in matrix.ItemsOf(u)) interactions.Add(new Interaction(u, i, 1f, 0));
        }
        return new RatingsDataset("dense-check",
            new IdMap(Enumerable.Range(0, matrix.UserCount).Select(u => $"u{u}")),
            new IdMap(Enumerable.Range(0, matrix.ItemCount).Select(i => $"i{i}")), [.. interactions]);
    }
}
