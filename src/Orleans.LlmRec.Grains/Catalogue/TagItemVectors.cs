using System.Numerics.Tensors;
using Orleans.LlmRec.Grains.Serving;

namespace Orleans.LlmRec.Grains.Catalogue;

/// <summary>
/// The fallback placement of a new item (Name <c>tags</c>): the mean vector and mean bias of the trained items that
/// share its tags or genres (case-insensitive), each shared tag counting once per item (an item sharing two tags weighs
/// twice); the mean of all trained items when none match. Per model version, the sums per tag are built once.
/// </summary>
public sealed class TagItemVectors(SiloModel serving) : INewItemVectors
{
    private volatile TagSums? _sums;

    public string Name => "tags";

    public ValueTask<NewItemVector> VectorForAsync(ItemDescription item, ModelSnapshot model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(model);
        var sums = _sums;
        if (sums is null || !ReferenceEquals(sums.Model, model))
        {
            _sums = sums = TagSums.Build(serving.Catalogue, model);
        }
        return ValueTask.FromResult(sums.Mean(item.Tags));
    }

    private sealed class TagSums
    {
        private readonly Dictionary<string, (float[] Vector, double Bias, int Count)> _byTag = new(StringComparer.OrdinalIgnoreCase);
        private float[] _all = [];
        private double _allBias;
        private int _allCount;

        public required ModelSnapshot Model { get; init; }

        public static TagSums Build(ItemCatalogue catalogue, ModelSnapshot model)
        {
            var d = model.Dimension;
            var sums = new TagSums { Model = model, _all = new float[d] };
            var embedding = model.Model;
            var tags = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < model.ItemCount; i++)
            {
                var vector = embedding.ItemVectors.AsSpan(i * d, d);
                var bias = embedding.ItemBias[i];
                TensorPrimitives.Add(sums._all, vector, sums._all);
                sums._allBias += bias;
                sums._allCount++;
                if (i >= catalogue.Count || catalogue.InfoOf(i) is not { } info) continue;
                tags.Clear();
                tags.UnionWith(info.Genres);
                tags.UnionWith(info.Tags);
                foreach (var tag in tags)
                {
                    if (!sums._byTag.TryGetValue(tag, out var sum)) sum = (new float[d], 0, 0);
                    TensorPrimitives.Add(sum.Vector, vector, sum.Vector);
                    sums._byTag[tag] = (sum.Vector, sum.Bias + bias, sum.Count + 1);
                }
            }
            return sums;
        }

        public NewItemVector Mean(IReadOnlyList<string> tags)
        {
            var vector = new float[_all.Length];
            double bias = 0;
            var count = 0;
            foreach (var tag in tags.Distinct(StringComparer.OrdinalIgnoreCase))
            {
                if (!_byTag.TryGetValue(tag, out var sum)) continue;
                TensorPrimitives.Add(vector, sum.Vector, vector);
                bias += sum.Bias;
                count += sum.Count;
            }
            if (count == 0)
            {
                _all.CopyTo(vector, 0);
                bias = _allBias;
                count = _allCount;
            }
            if (count > 0) TensorPrimitives.Divide(vector, count, vector);
            return new NewItemVector(vector, count == 0 ? 0f : (float)(bias / count));
        }
    }
}
