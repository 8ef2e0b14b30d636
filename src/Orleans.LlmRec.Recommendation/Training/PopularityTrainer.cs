using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// The baseline every personalised model must beat: an item's score is the share of training users who interacted
/// with it. Served as an <see cref="EmbeddingModel"/> of dimension 0 whose item bias is that share.
/// </summary>
public sealed class PopularityTrainer : IModelTrainer
{
    public ModelKind Kind => ModelKind.Popularity;

    public EmbeddingModel Train(RatingsDataset train, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var matrix = train.ToMatrix();
        var model = new EmbeddingModel(ModelKind.Popularity, train.UserCount, train.ItemCount, dimension: 0);
        var users = Math.Max(1, Enumerable.Range(0, matrix.UserCount).Count(u => matrix.UserDegree(u) > 0));
        for (var i = 0; i < matrix.ItemCount; i++)
        {
            model.ItemBias[i] = (float)matrix.ItemDegree(i) / users;
        }
        progress?.Report(new TrainingProgress(1, 1, 0));
        return model;
    }
}
