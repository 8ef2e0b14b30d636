using Orleans.LlmRec.Recommendation.FoldIn;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.UnitTests.FoldIn;

public class FoldInInteractionTests
{
    [Theory]
    [InlineData(ModelKind.Svd)]
    [InlineData(ModelKind.SvdPlusPlus)]
    public void Rating_models_fold_a_rated_interaction_in_by_its_rating(ModelKind kind) =>
        Assert.Equal(new FoldInInteraction(7, 2.5f, IsRating: true), FoldInInteraction.FromRating(kind, 7, 2.5f));

    [Theory]
    [InlineData(ModelKind.Popularity)]
    [InlineData(ModelKind.Bpr)]
    [InlineData(ModelKind.LightGcn)]
    public void Ranking_models_fold_a_rated_interaction_in_as_a_click(ModelKind kind) =>
        Assert.Equal(FoldInInteraction.Click(7), FoldInInteraction.FromRating(kind, 7, 2.5f));

    [Fact]
    public void A_click_is_an_implicit_positive_of_weight_one() =>
        Assert.Equal(new FoldInInteraction(3, 1f, Negative: false, IsRating: false), FoldInInteraction.Click(3));
}
