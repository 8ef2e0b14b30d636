namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// Names under which the rating-model trainers (SVD, SVD++) record their hyper-parameters in
/// <see cref="Models.EmbeddingModel.Parameters"/> and their fold-in tensors in <see cref="Models.EmbeddingModel.Extras"/>.
/// Fold-in and serving read these names, so they are part of the model format.
/// </summary>
public static class RatingModelParameters
{
    public const string Factors = "factors";
    public const string Epochs = "epochs";
    public const string LearningRate = "lr";
    public const string Regularization = "reg";
    public const string BiasLearningRate = "lr_bias";
    public const string BiasRegularization = "reg_bias";
    public const string InitStd = "init_std";
    public const string Seed = "seed";
    public const string Blocks = "blocks";

    /// <summary>Lowest and highest training rating: predictions are clipped to this range, as Surprise does.</summary>
    public const string RatingMin = "rating_min";
    public const string RatingMax = "rating_max";

    /// <summary>SVD++ explicit user factors p_u, [UserCount, Dimension].</summary>
    public const string SvdPlusPlusUserFactors = "svdpp.user_factors";

    /// <summary>SVD++ implicit item factors y_j, [ItemCount, Dimension].</summary>
    public const string SvdPlusPlusImplicit = "svdpp.implicit";
}
