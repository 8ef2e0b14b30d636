using System.Numerics.Tensors;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.FoldIn;

/// <summary>
/// One interaction fed to fold-in. With <see cref="IsRating"/>, <see cref="Value"/> is an explicit star rating;
/// otherwise the interaction is implicit (click, view, like) and <see cref="Value"/> is its confidence weight.
/// <see cref="Negative"/> marks a dislike.
/// </summary>
public readonly record struct FoldInInteraction(int Item, float Value, bool Negative = false, bool IsRating = false)
{
    /// <summary>A click (any implicit positive) of weight 1.</summary>
    public static FoldInInteraction Click(int item) => new(item, 1f);

    /// <summary>
    /// A rated training interaction as a model of <paramref name="kind"/> folds it in: its rating for the models that
    /// predict ratings, a click for the others (they learned from who interacted, not how they rated).
    /// </summary>
    public static FoldInInteraction FromRating(ModelKind kind, int item, float rating) =>
        kind.PredictsRatings() ? new(item, rating, IsRating: true) : Click(item);
}

/// <summary>A user vector and bias computed from interactions, scored exactly like a trained user's row.</summary>
public sealed record FoldedUser(float[] Vector, float Bias, int UsedInteractions);

/// <summary>
/// Computes a user's embedding from their current interactions without retraining, so a click changes the next
/// feed at once. One instance per model (it precomputes per-model constants); thread-safe.
/// <list type="bullet">
/// <item>SVD: ridge regression of the residual ratings r − μ − b_i on the item factors, with the user bias solved
/// jointly and the trainer's per-rating regularisation (λ·n), as the SGD objective implies. Implicit interactions
/// count as the top rating (a dislike as the lowest); when there is no explicit rating at all the user bias is not
/// solved, because a constant "everything I click is a 5" would be absorbed by the bias and move nothing.</item>
/// <item>SVD++: the implicit sum |N(u)|^−½ Σ y_j over the interacted items, plus the ridge solve of the explicit part
/// against the ratings left after that sum.</item>
/// <item>BPR-MF (and LightGCN models saved without layer embeddings): the implicit-feedback sum of the interacted
/// items' vectors (a dislike subtracts at half weight), scaled to a typical trained user's length. An implicit-ALS least-squares
/// solve was tried first and ranked a clicked genre lower than this sum on synthetic data.</item>
/// <item>LightGCN: the normalised neighbour aggregation e_u^(l+1) = Σ_i e_i^(l) / √(|N(u)|·deg(i)) over the exported
/// item layer embeddings, averaged over layers like the trained model. The user's own ego embedding is unknown and
/// taken as zero; dislikes are left out of the graph (they are still filtered from the feed).</item>
/// <item>GF-CF: exact, the model is linear in the user's binary row: the sum of the interacted items' rows of the
/// trainer's projection (see <see cref="Training.GfCfTrainer"/>), each item once. Dislikes are left out, as they are
/// of the graph LightGCN folds into (they are still filtered from the feed).</item>
/// <item>Popularity: no vector; every user ranks by popularity.</item>
/// </list>
/// Item indexes outside the model are ignored.
/// </summary>
public sealed class UserFoldIn
{
    /// <summary>Extra tensor names the LightGCN trainer writes for fold-in.</summary>
    public const string LightGcnItemLayers = "lightgcn.item_layers";
    public const string LightGcnItemDegree = "lightgcn.item_degree";

    /// <summary>How much a dislike pulls the implicit-feedback sum away, relative to a click's pull towards.</summary>
    public const float DislikeWeight = 0.5f;

    private readonly EmbeddingModel _model;
    private readonly double _regularization;
    private readonly double _biasRegularization;
    private readonly Lazy<float> _typicalUserNorm;

    public UserFoldIn(EmbeddingModel model)
    {
        _model = model;
        _regularization = model.Parameters.TryGetValue("reg", out var reg) && reg > 0 ? reg : 0.02;
        _biasRegularization = model.Parameters.TryGetValue("reg_bias", out var regBias) && regBias > 0 ? regBias : _regularization;
        _typicalUserNorm = new Lazy<float>(ComputeTypicalUserNorm);
    }

    public EmbeddingModel Model => _model;

    public FoldedUser Compute(ReadOnlySpan<FoldInInteraction> interactions)
    {
        var valid = new List<FoldInInteraction>(interactions.Length);
        foreach (var x in interactions)
        {
            if ((uint)x.Item < (uint)_model.ItemCount) valid.Add(x);
        }
        if (_model.Dimension == 0 || valid.Count == 0)
        {
            return new FoldedUser(new float[_model.Dimension], 0f, valid.Count);
        }
        return _model.Kind switch
        {
            ModelKind.Svd => RatingRidge(valid, implicitSum: null),
            ModelKind.SvdPlusPlus => SvdPlusPlus(valid),
            ModelKind.LightGcn when _model.Extras.ContainsKey(LightGcnItemLayers) && _model.Extras.ContainsKey(LightGcnItemDegree) => LightGcn(valid),
            ModelKind.GfCf when _model.Extras.TryGetValue(Training.GfCfTrainer.UserProjectionExtra, out var projection) => GraphFilter(valid, projection),
            _ => ImplicitSum(valid),
        };
    }

    private FoldedUser RatingRidge(List<FoldInInteraction> interactions, float[]? implicitSum)
    {
        // Unknowns: the d user factors and the user bias (last). Per-rating regularisation, as in the SGD objective.
        var d = _model.Dimension;
        var solveBias = interactions.Any(x => x.IsRating);
        var n = solveBias ? d + 1 : d;
        var a = new double[n * n];
        var b = new double[n];
        var lambda = _regularization * interactions.Count;
        var row = new double[n];
        var top = _model.Parameters.TryGetValue("rating_max", out var max) ? max : 5.0;
        var bottom = _model.Parameters.TryGetValue("rating_min", out var min) ? min : 1.0;
        foreach (var x in interactions)
        {
            var q = _model.ItemVector(x.Item);
            for (var j = 0; j < d; j++) row[j] = q[j];
            if (solveBias) row[d] = 1;
            var rating = x.IsRating ? x.Value : x.Negative ? bottom : top;
            var target = rating - _model.GlobalBias - _model.ItemBias[x.Item];
            if (implicitSum is not null) target -= TensorPrimitives.Dot<float>(q, implicitSum);
            Accumulate(a, b, row, target, weight: 1, n);
        }
        for (var j = 0; j < d; j++) a[j * n + j] += lambda;
        // The trainers may regularise the bias apart from the factors ("reg_bias"); fold-in keeps their objective.
        if (solveBias) a[d * n + d] += _biasRegularization * interactions.Count;
        DenseSolver.SolveSymmetricPositiveDefinite(a, b, n);
        var vector = new float[d];
        for (var j = 0; j < d; j++) vector[j] = (float)b[j];
        if (implicitSum is not null) TensorPrimitives.Add(vector, implicitSum, vector);
        return new FoldedUser(vector, solveBias ? (float)b[d] : 0f, interactions.Count);
    }

    private FoldedUser SvdPlusPlus(List<FoldInInteraction> interactions)
    {
        var d = _model.Dimension;
        var sum = new float[d];
        if (_model.Extras.TryGetValue("svdpp.implicit", out var y))
        {
            foreach (var x in interactions) TensorPrimitives.Add(sum, y.AsSpan(x.Item * d, d), sum);
            TensorPrimitives.Multiply(sum, 1f / MathF.Sqrt(interactions.Count), sum);
        }
        return RatingRidge(interactions, sum);
    }

    private FoldedUser ImplicitSum(List<FoldInInteraction> interactions)
    {
        // The sum of the interacted items' vectors weighted by confidence: the direction that scores those items, and
        // items near them, highest. A dislike subtracts at half weight: it rejects that item (the feed filters it out
        // anyway) more than everything that resembles it, so one dislike does not cancel a click on a neighbour.
        var d = _model.Dimension;
        var vector = new float[d];
        foreach (var x in interactions)
        {
            var weight = Math.Max(1e-3f, Math.Abs(x.Value)) * (x.Negative ? -DislikeWeight : 1f);
            TensorPrimitives.MultiplyAdd(_model.ItemVector(x.Item), weight, vector, vector);
        }
        // The sum fixes the direction but not the scale BPR learned against its item biases; give the vector the length
        // of a typical trained user's so personal taste and popularity weigh as they do for them.
        var norm = TensorPrimitives.Norm<float>(vector);
        if (norm > 0 && _typicalUserNorm.Value > 0) TensorPrimitives.Multiply(vector, _typicalUserNorm.Value / norm, vector);
        return new FoldedUser(vector, 0f, interactions.Count);
    }

    private float ComputeTypicalUserNorm()
    {
        var norms = new List<float>(_model.UserCount);
        for (var user = 0; user < _model.UserCount; user++)
        {
            var norm = TensorPrimitives.Norm<float>(_model.UserVector(user));
            if (norm > 0) norms.Add(norm);
        }
        if (norms.Count == 0) return 0;
        norms.Sort();
        return norms[norms.Count / 2];
    }

    private FoldedUser LightGcn(List<FoldInInteraction> interactions)
    {
        var d = _model.Dimension;
        var layers = _model.Extras[LightGcnItemLayers];
        var degree = _model.Extras[LightGcnItemDegree];
        var layerCount = layers.Length / (_model.ItemCount * d);
        var positives = interactions.Where(x => !x.Negative).Select(x => x.Item).Distinct().ToList();
        var vector = new float[d];
        if (positives.Count == 0) return new FoldedUser(vector, 0f, 0);
        var userNorm = 1f / MathF.Sqrt(positives.Count);
        // Layer l+1 of the user aggregates layer l of its items; the mean runs over layers 0..L with layer 0 (ego) zero.
        for (var l = 0; l < layerCount; l++)
        {
            var layer = layers.AsSpan(l * _model.ItemCount * d, _model.ItemCount * d);
            foreach (var item in positives)
            {
                var weight = userNorm / MathF.Sqrt(Math.Max(1f, degree[item]));
                TensorPrimitives.MultiplyAdd(layer.Slice(item * d, d), weight, vector, vector);
            }
        }
        TensorPrimitives.Multiply(vector, 1f / (layerCount + 1), vector);
        return new FoldedUser(vector, 0f, positives.Count);
    }

    private FoldedUser GraphFilter(List<FoldInInteraction> interactions, float[] projection)
    {
        var d = _model.Dimension;
        var items = interactions.Where(x => !x.Negative).Select(x => x.Item).Distinct().Order().ToList();
        var vector = new float[d];
        // Ascending item order, as the trainer sums a training user's row: a user's own row gives the trained vector.
        foreach (var item in items) TensorPrimitives.Add(vector, projection.AsSpan(item * d, d), vector);
        return new FoldedUser(vector, 0f, items.Count);
    }

    private static void Accumulate(double[] a, double[] b, double[] row, double target, double weight, int n)
    {
        for (var i = 0; i < n; i++)
        {
            var wi = weight * row[i];
            b[i] += wi * target;
            for (var j = 0; j < n; j++) a[i * n + j] += wi * row[j];
        }
    }
}
