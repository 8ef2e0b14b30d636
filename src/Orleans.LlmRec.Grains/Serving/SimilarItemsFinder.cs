using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Recommendation.Evaluation;

namespace Orleans.LlmRec.Grains.Serving;

/// <summary>Items nearest to a given one by cosine of the model's item vectors; popular items for a model without vectors.</summary>
public static class SimilarItemsFinder
{
    public static SimilarItemsResponse Find(ModelSnapshot model, ItemCatalogue catalogue, int item, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var itemId = catalogue.ItemIdOf(item);
        if (!model.HasItemVectors)
        {
            var popular = new List<SimilarItem>(k);
            foreach (var other in catalogue.PopularItems)
            {
                if (other == item) continue;
                popular.Add(ToSimilar(catalogue, other, catalogue.PopularityOf(other)));
                if (popular.Count == k) break;
            }
            return new SimilarItemsResponse { ItemId = itemId, Title = catalogue.TitleOf(item), Items = popular, Source = FeedSource.Fallback, ModelVersion = model.Version };
        }

        var scores = new float[model.ItemCount];
        for (var other = 0; other < scores.Length; other++)
        {
            scores[other] = model.Similarity(item, other);
        }
        scores[item] = float.NegativeInfinity;
        var best = new int[Math.Min(k, scores.Length)];
        var found = TopK.Select(scores, best.Length, best);
        var items = best.Take(found).Select(i => ToSimilar(catalogue, i, scores[i])).ToList();
        return new SimilarItemsResponse { ItemId = itemId, Title = catalogue.TitleOf(item), Items = items, Source = FeedSource.Model, ModelVersion = model.Version };
    }

    /// <summary>Trained items nearest to <paramref name="vector"/> (an item published after training, <paramref name="item"/>) by cosine.</summary>
    public static SimilarItemsResponse FindFor(ModelSnapshot model, ItemCatalogue catalogue, int item, ReadOnlySpan<float> vector, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm(vector);
        var scores = new float[model.ItemCount];
        for (var other = 0; other < scores.Length; other++)
        {
            scores[other] = norm > 0 ? System.Numerics.Tensors.TensorPrimitives.Dot(model.UnitItemVector(other), vector) / norm : 0f;
        }
        var best = new int[Math.Min(k, scores.Length)];
        var found = TopK.Select(scores, best.Length, best);
        var items = best.Take(found).Select(i => ToSimilar(catalogue, i, scores[i])).ToList();
        return new SimilarItemsResponse { ItemId = catalogue.ItemIdOf(item), Title = catalogue.TitleOf(item), Items = items, Source = FeedSource.Model, ModelVersion = model.Version };
    }

    private static SimilarItem ToSimilar(ItemCatalogue catalogue, int item, float score) =>
        new() { ItemId = catalogue.ItemIdOf(item), Score = score, Title = catalogue.TitleOf(item) };
}
