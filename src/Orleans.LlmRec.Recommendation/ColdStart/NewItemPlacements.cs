using System.Numerics.Tensors;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.ColdStart;

/// <summary>Vectors and biases in a model's item space for items the model was not trained on, one row per item.</summary>
public sealed record NewItemPlacement(string Name, int Dimension, float[] Vectors, float[] Bias)
{
    public ReadOnlySpan<float> VectorOf(int row) => Vectors.AsSpan(row * Dimension, Dimension);
}

/// <summary>
/// The ways to place new items that the cold-start measure compares (<see cref="ColdStartEvaluation"/>). Each reads
/// only what a publisher gives for a new item (title, genres/tags, text) and what the model learnt on trained items.
/// </summary>
public static class NewItemPlacements
{
    /// <summary>
    /// The tags fallback: the mean of the trained items' vectors and biases per tag (genre), averaged over the new
    /// item's tags; an item without a known tag gets the mean over all trained items.
    /// </summary>
    public static NewItemPlacement TagCentroids(EmbeddingModel model, IReadOnlyList<int> trainedItems, Func<int, IReadOnlyList<string>> tagsOf, IReadOnlyList<int> newItems)
    {
        var d = model.Dimension;
        var sums = new Dictionary<string, (float[] Sum, double Bias, int Count)>(StringComparer.OrdinalIgnoreCase);
        var all = (Sum: new float[d + 1], Count: 0);
        foreach (var i in trainedItems)
        {
            foreach (var tag in tagsOf(i).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                if (!sums.TryGetValue(tag, out var entry)) entry = (new float[d], 0, 0);
                TensorPrimitives.Add(entry.Sum, model.ItemVector(i), entry.Sum);
                sums[tag] = (entry.Sum, entry.Bias + model.ItemBias[i], entry.Count + 1);
            }
            TensorPrimitives.Add(all.Sum.AsSpan(0, d), model.ItemVector(i), all.Sum.AsSpan(0, d));
            all.Sum[d] += model.ItemBias[i];
            all.Count++;
        }
        var vectors = new float[newItems.Count * d];
        var bias = new float[newItems.Count];
        for (var r = 0; r < newItems.Count; r++)
        {
            var target = vectors.AsSpan(r * d, d);
            var known = tagsOf(newItems[r]).Distinct(StringComparer.OrdinalIgnoreCase).Where(sums.ContainsKey).ToList();
            if (known.Count == 0)
            {
                TensorPrimitives.Divide(all.Sum.AsSpan(0, d), Math.Max(1, all.Count), target);
                bias[r] = all.Sum[d] / Math.Max(1, all.Count);
                continue;
            }
            foreach (var tag in known)
            {
                var (sum, b, count) = sums[tag];
                TensorPrimitives.MultiplyAdd(sum, 1f / (count * known.Count), target, target);
                bias[r] += (float)(b / count / known.Count);
            }
        }
        return new NewItemPlacement("tags (genre centroids)", d, vectors, bias);
    }

    /// <summary>The text map applied to each new item's text vector.</summary>
    public static NewItemPlacement TextMap(TextItemMap map, Func<int, float[]> textVectors, IReadOnlyList<int> newItems, string name)
    {
        var d = map.ModelDimension;
        var vectors = new float[newItems.Count * d];
        var bias = new float[newItems.Count];
        for (var r = 0; r < newItems.Count; r++)
        {
            var (vector, b) = map.Place(textVectors(newItems[r]));
            vector.CopyTo(vectors, r * d);
            bias[r] = b;
        }
        return new NewItemPlacement(name, d, vectors, bias);
    }

    /// <summary>
    /// k nearest trained items by text (cosine of unit text vectors), their vectors and biases averaged with weights
    /// max(similarity, 0): the non-linear alternative to the ridge map.
    /// </summary>
    public static NewItemPlacement TextNeighbours(EmbeddingModel model, IReadOnlyList<int> trainedItems, Func<int, float[]> textVectors, IReadOnlyList<int> newItems, int k, string name)
    {
        var d = model.Dimension;
        var vectors = new float[newItems.Count * d];
        var bias = new float[newItems.Count];
        var trainedText = trainedItems.Select(textVectors).ToArray();
        var similarity = new float[trainedItems.Count];
        var top = new int[Math.Min(k, trainedItems.Count)];
        for (var r = 0; r < newItems.Count; r++)
        {
            var text = textVectors(newItems[r]);
            for (var t = 0; t < trainedText.Length; t++) similarity[t] = TensorPrimitives.Dot<float>(text, trainedText[t]);
            var found = Evaluation.TopK.Select(similarity, top.Length, top);
            var total = 0f;
            var target = vectors.AsSpan(r * d, d);
            foreach (var t in top.AsSpan(0, found))
            {
                var w = Math.Max(similarity[t], 0f);
                if (w == 0) continue;
                TensorPrimitives.MultiplyAdd(model.ItemVector(trainedItems[t]), w, target, target);
                bias[r] += w * model.ItemBias[trainedItems[t]];
                total += w;
            }
            if (total > 0)
            {
                TensorPrimitives.Divide(target, total, target);
                bias[r] /= total;
            }
        }
        return new NewItemPlacement(name, d, vectors, bias);
    }

    /// <summary>
    /// Popularity as it can be known for a new item: a prior from its tags (the mean number of training interactions
    /// of trained items with each of its tags, averaged over its tags). No vector: the same order for every user.
    /// </summary>
    public static NewItemPlacement TagPopularity(RatingsDataset train, IReadOnlyList<int> trainedItems, Func<int, IReadOnlyList<string>> tagsOf, IReadOnlyList<int> newItems)
    {
        var counts = new int[train.ItemCount];
        foreach (var x in train.Interactions) counts[x.Item]++;
        var perTag = new Dictionary<string, (double Sum, int Items)>(StringComparer.OrdinalIgnoreCase);
        foreach (var i in trainedItems)
        {
            foreach (var tag in tagsOf(i).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                var (sum, items) = perTag.GetValueOrDefault(tag);
                perTag[tag] = (sum + counts[i], items + 1);
            }
        }
        var overall = trainedItems.Average(i => (double)counts[i]);
        var bias = newItems.Select(i =>
        {
            var known = tagsOf(i).Distinct(StringComparer.OrdinalIgnoreCase).Where(perTag.ContainsKey).ToList();
            return (float)(known.Count == 0 ? overall : known.Average(t => perTag[t].Sum / perTag[t].Items));
        }).ToArray();
        return new NewItemPlacement("popularity (prior from tags)", 0, [], bias);
    }

    /// <summary>
    /// The items' real interaction counts in the full data: what no one knows when an item is published. Shown as the
    /// ceiling of any non-personalised order, not as a baseline.
    /// </summary>
    public static NewItemPlacement HindsightPopularity(RatingsDataset full, IReadOnlyList<int> newItems)
    {
        var counts = new int[full.ItemCount];
        foreach (var x in full.Interactions) counts[x.Item]++;
        return new NewItemPlacement("popularity in hindsight (unknowable)", 0, [], newItems.Select(i => (float)counts[i]).ToArray());
    }
}
