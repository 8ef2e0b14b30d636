using Orleans.LlmRec.Llm.Offline.Evaluation;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Llm.Offline.UnitTests;

public class LlmLayerEvaluationTests
{
    private static readonly RatingsDataset Data = SyntheticCatalogue.Generate(new SyntheticCatalogueOptions { UserCount = 60, ItemCount = 50, MeanInteractionsPerUser = 12, Seed = 4 });

    private static readonly TrainerSettings Settings = new() { Seed = 2 };

    // A profile for every other user, written from the genres of their first item.
    private static Dictionary<int, string> Profiles() => Data.Interactions
        .GroupBy(x => x.User)
        .Where(g => g.Key % 2 == 0)
        .ToDictionary(g => g.Key, g => "I like " + string.Join(" ", Data.ItemInfo[g.First().Item].Genres));

    private static List<ModelEvaluation> Run(EvaluationProtocol protocol, LlmLayerArms arms, int[]? ks = null) =>
        LlmLayerEvaluation.Run(Data, protocol, [ModelKind.Popularity], Settings, ks ?? [10], threshold: null, arms, TimedTraining.Run);

    [Fact]
    public void Each_arm_is_scored_plain_and_leak_checked_in_order_and_alpha_zero_is_the_base_ranking()
    {
        var results = Run(EvaluationProtocol.Microsoft, new LlmLayerArms { Profiles = Profiles(), RerankWithTfIdf = true, Alphas = [0f, 1f], RerankTop = 20 });

        Assert.Equal(
            ["pop", "pop (leak-checked)", "pop+tfidf(a=0,top=20)", "pop+tfidf(a=0,top=20) (leak-checked)", "pop+tfidf(a=1,top=20)", "pop+tfidf(a=1,top=20) (leak-checked)"],
            results.Select(r => r.Model));
        Assert.Equal(results[0].Metrics, results[2].Metrics);
        // The leak check only ever removes test interactions.
        Assert.True(results[1].TestInteractions < results[0].TestInteractions);
    }

    [Fact]
    public void Without_profiles_or_variants_only_the_base_model_is_scored()
    {
        var results = Run(EvaluationProtocol.Microsoft, new LlmLayerArms());

        var only = Assert.Single(results);
        Assert.Equal("pop", only.Model);
        Assert.Contains("ndcg@10", only.Metrics.Keys);
    }

    [Fact]
    public void Paper_loo_adds_the_papers_cut_offs_and_pools_hit_counts_over_runs()
    {
        Assert.Equal([1, 3, 5, 10], LlmLayerEvaluation.Cutoffs(EvaluationProtocol.PaperLeaveOneOut, [3]));
        Assert.Equal([3], LlmLayerEvaluation.Cutoffs(EvaluationProtocol.Microsoft, [3]));

        var one = Assert.Single(Run(EvaluationProtocol.PaperLeaveOneOut, new LlmLayerArms { Runs = 1 }));
        var two = Assert.Single(Run(EvaluationProtocol.PaperLeaveOneOut, new LlmLayerArms { Runs = 2 }));

        Assert.Equal(2 * one.Metrics["cases"], two.Metrics["cases"]);
        Assert.Contains("hr@5", two.Metrics.Keys);
    }

    [Fact]
    public void Cross_validation_is_not_a_protocol_the_llm_layer_is_measured_by() =>
        Assert.Throws<ArgumentException>(() => Run(EvaluationProtocol.CrossValidation, new LlmLayerArms()));
}
