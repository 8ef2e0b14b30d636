using System.Numerics.Tensors;
using Orleans.LlmRec.Recommendation.ColdStart;
using Orleans.LlmRec.Recommendation.FoldIn;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Grains.Serving;

/// <summary>
/// One version of the model a silo serves, as the grains need it beside the scorer: the embedding model (item vectors for fold-in,
/// similar items and explanations), its fold-in, and its version. Immutable, so a grain that took a reference keeps a
/// consistent model for the whole request even if a newer one is swapped in meanwhile.
/// </summary>
public sealed class ModelSnapshot
{
    private readonly float[] _unitItemVectors;

    public ModelSnapshot(EmbeddingModel model, string version, TextItemMap? textMap = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(version);
        Model = model;
        Version = version;
        TextMap = textMap;
        FoldIn = new UserFoldIn(model);
        _unitItemVectors = UnitRows(model.ItemVectors, model.ItemCount, model.Dimension);
        ItemIndex = new ModelItemIndex(model, version);
    }

    public EmbeddingModel Model { get; }
    public string Version { get; }
    public UserFoldIn FoldIn { get; }

    /// <summary>The text map saved with this model (text vector → item vector and bias), or null: new items then go by tags.</summary>
    public TextItemMap? TextMap { get; }

    /// <summary>This version's approximate item index (built on demand by the host; see <see cref="ModelItemIndex"/>).</summary>
    public ModelItemIndex ItemIndex { get; }
    public ModelKind Kind => Model.Kind;
    public int Dimension => Model.Dimension;
    public int ItemCount => Model.ItemCount;

    /// <summary>True when items have vectors, so similarity between items means something.</summary>
    public bool HasItemVectors => Model.Dimension > 0;

    /// <summary>Cosine similarity of two items' vectors (0 for a model without vectors or a zero vector).</summary>
    public float Similarity(int item, int other)
    {
        if (!HasItemVectors) return 0f;
        var d = Dimension;
        return TensorPrimitives.Dot<float>(_unitItemVectors.AsSpan(item * d, d), _unitItemVectors.AsSpan(other * d, d));
    }

    /// <summary>The unit-length vector of an item (zeros when the item's vector is zero).</summary>
    public ReadOnlySpan<float> UnitItemVector(int item) => _unitItemVectors.AsSpan(item * Dimension, Dimension);

    private static float[] UnitRows(float[] rows, int count, int d)
    {
        var unit = new float[rows.Length];
        if (d == 0) return unit;
        for (var i = 0; i < count; i++)
        {
            var source = rows.AsSpan(i * d, d);
            var norm = TensorPrimitives.Norm<float>(source);
            if (norm > 0) TensorPrimitives.Divide(source, norm, unit.AsSpan(i * d, d));
        }
        return unit;
    }
}
