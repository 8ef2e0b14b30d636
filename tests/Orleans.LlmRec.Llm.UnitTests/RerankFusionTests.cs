using Orleans.LlmRec.Llm.Reranking;

namespace Orleans.LlmRec.Llm.UnitTests;

public class RerankFusionTests
{
    private static readonly ModelCandidate[] ThreeCandidates = [new("A", 10f), new("B", 5f), new("C", 0f)];

    private static Dictionary<string, float> Scores(params (string Id, float Score)[] scores) =>
        scores.ToDictionary(s => s.Id, s => s.Score, StringComparer.Ordinal);

    [Fact]
    public void Blends_normalised_model_scores_with_rerank_scores()
    {
        // norm(model) = A 1, B 0.5, C 0; final = 0.5·norm + 0.5·llm = A 0.5, B 0.75, C 0.25.
        var fused = RerankFusion.Fuse(ThreeCandidates, Scores(("A", 0f), ("B", 1f), ("C", 0.5f)), alpha: 0.5f);

        Assert.Equal(["B", "A", "C"], fused.Select(f => f.ItemId));
        Assert.Equal(0.75f, fused[0].FinalScore, 5);
        Assert.Equal(0.5f, fused[1].FinalScore, 5);
        Assert.Equal(0.25f, fused[2].FinalScore, 5);
        Assert.Equal(0.5f, fused[0].NormalizedModelScore, 5);
        Assert.Equal(5f, fused[0].ModelScore);
        Assert.Equal(1f, fused[0].RerankScore);
    }

    [Fact]
    public void Alpha_zero_keeps_the_model_order_and_alpha_one_follows_the_reranker()
    {
        var rerank = Scores(("A", 0.1f), ("B", 0.2f), ("C", 0.9f));

        Assert.Equal(["A", "B", "C"], RerankFusion.Fuse(ThreeCandidates, rerank, 0f).Select(f => f.ItemId));
        Assert.Equal(["C", "B", "A"], RerankFusion.Fuse(ThreeCandidates, rerank, 1f).Select(f => f.ItemId));
    }

    [Fact]
    public void Candidates_without_a_rerank_score_take_the_mean_of_the_scored_ones()
    {
        // B and C scored (mean 0.5); A takes 0.5: A = 0.5·1 + 0.5·0.5 = 0.75, B = 0.25 + 0.45 = 0.7, C = 0 + 0.05.
        var fused = RerankFusion.Fuse(ThreeCandidates, Scores(("B", 0.9f), ("C", 0.1f)), alpha: 0.5f);

        Assert.Equal(["A", "B", "C"], fused.Select(f => f.ItemId));
        Assert.Equal(0.75f, fused[0].FinalScore, 5);
        Assert.Null(fused[0].RerankScore);
        Assert.Equal(0.7f, fused[1].FinalScore, 5);
        Assert.Equal(0.05f, fused[2].FinalScore, 5);
    }

    [Fact]
    public void Without_any_rerank_score_the_order_is_the_models()
    {
        var fused = RerankFusion.Fuse([new("A", 1f), new("B", 3f), new("C", 2f)], Scores(("unrelated", 1f)), alpha: 0.9f);

        Assert.Equal(["B", "C", "A"], fused.Select(f => f.ItemId));
        Assert.Equal(1f, fused[0].FinalScore);
        Assert.All(fused, f => Assert.Null(f.RerankScore));
    }

    [Fact]
    public void Equal_final_scores_keep_the_candidates_order()
    {
        var fused = RerankFusion.Fuse([new("A", 1f), new("B", 1f), new("C", 1f)], Scores(), alpha: 0.5f);

        Assert.Equal(["A", "B", "C"], fused.Select(f => f.ItemId));
        Assert.All(fused, f => Assert.Equal(0.5f, f.FinalScore));
    }

    [Fact]
    public void Min_max_normalisation_maps_onto_zero_to_one()
    {
        Assert.Equal([0f, 0.25f, 1f], RerankFusion.MinMaxNormalize([-2f, -1f, 2f]));
        Assert.Equal([0.5f, 0.5f], RerankFusion.MinMaxNormalize([3f, 3f]));
        Assert.Empty(RerankFusion.MinMaxNormalize([]));
    }

    [Theory]
    [InlineData(-0.1f)]
    [InlineData(1.1f)]
    [InlineData(float.NaN)]
    public void Alpha_outside_zero_to_one_is_refused(float alpha) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RerankFusion.Fuse(ThreeCandidates, Scores(), alpha));

    [Fact]
    public void Merge_lets_newer_scores_win_and_keeps_older_ones_for_other_items()
    {
        var merged = RerankFusion.Merge(Scores(("A", 0.1f), ("B", 0.2f)), Scores(("B", 0.9f), ("C", 0.3f)));

        Assert.Equal(3, merged.Count);
        Assert.Equal(0.1f, merged["A"]);
        Assert.Equal(0.9f, merged["B"]);
        Assert.Equal(0.3f, merged["C"]);
    }

    [Fact]
    public void Merge_keeps_only_retained_ids_when_asked()
    {
        var retain = new HashSet<string>(StringComparer.Ordinal) { "B", "C" };
        var merged = RerankFusion.Merge(Scores(("A", 0.1f), ("B", 0.2f)), Scores(("C", 0.3f), ("D", 0.4f)), retain);

        Assert.Equal(["B", "C"], merged.Keys.Order());
    }

    [Fact]
    public void Merged_stale_scores_feed_fusion_by_item_id()
    {
        // An older answer scored A and B; the newer one (after the candidates changed) scored C only.
        var merged = RerankFusion.Merge(Scores(("A", 0.2f), ("B", 1f)), Scores(("C", 0.6f)));
        var fused = RerankFusion.Fuse(ThreeCandidates, merged, alpha: 1f);

        Assert.Equal(["B", "C", "A"], fused.Select(f => f.ItemId));
    }

    [Fact]
    public void Fusing_by_position_agrees_with_fusing_by_item_id()
    {
        var candidates = new[] { new ModelCandidate("A", 3f), new ModelCandidate("B", 1f), new ModelCandidate("C", 2f), new ModelCandidate("D", 2f) };
        var scores = new Dictionary<string, float> { ["B"] = 0.9f, ["C"] = 1.5f, ["D"] = float.NaN };
        var byId = RerankFusion.Fuse(candidates, scores, alpha: 0.6f);
        var byPosition = RerankFusion.Fuse(candidates.Select(c => c.ModelScore).ToArray(), [null, 0.9f, 1.5f, float.NaN], alpha: 0.6f);

        Assert.Equal(byId.Select(f => f.ItemId), byPosition.Select(f => candidates[f.Position].ItemId));
        Assert.Equal(byId.Select(f => f.FinalScore), byPosition.Select(f => f.FinalScore));
        // Out-of-range scores are clamped and non-finite ones count as none, the same either way.
        Assert.Equal(1f, byPosition.Single(f => f.Position == 2).RerankScore);
        Assert.Null(byPosition.Single(f => f.Position == 3).RerankScore);
        Assert.Throws<ArgumentOutOfRangeException>(() => RerankFusion.Fuse([1f, 2f], [null], alpha: 0.5f));
    }
}
