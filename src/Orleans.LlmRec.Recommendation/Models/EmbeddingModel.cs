using System.Numerics.Tensors;

namespace Orleans.LlmRec.Recommendation.Models;

/// <summary>
/// The one shape every trained model is served in:
/// <c>score(u, i) = GlobalBias + UserBias[u] + ItemBias[i] + dot(UserVectors[u], ItemVectors[i])</c>.
/// SVD, SVD++ (its implicit sum folded into the user vector), BPR-MF, LightGCN (propagated, layer-averaged
/// embeddings), GF-CF (its two graph filters as one factorisation, the user vector a projection of the user's row) and
/// popularity (dimension 0, item bias = popularity) all fit it, so one exporter and one scorer serve them all. What a model needs beyond that to fold in a new user (SVD++'s implicit factors, LightGCN's
/// ego embeddings, regularisation constants) lives in <see cref="Extras"/> and <see cref="Parameters"/>.
/// </summary>
public sealed class EmbeddingModel
{
    public EmbeddingModel(ModelKind kind, int userCount, int itemCount, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(userCount);
        ArgumentOutOfRangeException.ThrowIfNegative(itemCount);
        ArgumentOutOfRangeException.ThrowIfNegative(dimension);
        Kind = kind;
        UserCount = userCount;
        ItemCount = itemCount;
        Dimension = dimension;
        UserVectors = new float[(long)userCount * dimension];
        ItemVectors = new float[(long)itemCount * dimension];
        UserBias = new float[userCount];
        ItemBias = new float[itemCount];
    }

    public ModelKind Kind { get; }
    public int UserCount { get; }
    public int ItemCount { get; }
    public int Dimension { get; }

    /// <summary>Row-major [UserCount, Dimension]: the effective user vector the scorer dots with items.</summary>
    public float[] UserVectors { get; }

    /// <summary>Row-major [ItemCount, Dimension].</summary>
    public float[] ItemVectors { get; }

    public float[] UserBias { get; }
    public float[] ItemBias { get; }
    public float GlobalBias { get; set; }

    /// <summary>Named extra tensors (row-major) that fold-in needs, e.g. "svdpp.implicit" [ItemCount, Dimension].</summary>
    public Dictionary<string, float[]> Extras { get; } = new(StringComparer.Ordinal);

    /// <summary>Hyper-parameters and scalar constants (e.g. "lightgcn.layers" = 3, "reg" = 0.02).</summary>
    public Dictionary<string, double> Parameters { get; } = new(StringComparer.Ordinal);

    public Span<float> UserVector(int user) => UserVectors.AsSpan(user * Dimension, Dimension);
    public Span<float> ItemVector(int item) => ItemVectors.AsSpan(item * Dimension, Dimension);

    /// <summary>The score of one pair, exactly as the exported graph computes it.</summary>
    public float Score(int user, int item) =>
        GlobalBias + UserBias[user] + ItemBias[item] + TensorPrimitives.Dot<float>(UserVector(user), ItemVector(item));

    /// <summary>Scores every item for a user vector and bias that need not belong to a known user (fold-in, cold start).</summary>
    public void ScoreAll(ReadOnlySpan<float> userVector, float userBias, Span<float> scores)
    {
        if (scores.Length != ItemCount)
        {
            throw new ArgumentException($"Expected {ItemCount} scores, got {scores.Length}.", nameof(scores));
        }
        var d = Dimension;
        var offset = GlobalBias + userBias;
        var items = ItemVectors.AsSpan();
        for (var i = 0; i < scores.Length; i++)
        {
            var dot = d == 0 ? 0f : TensorPrimitives.Dot<float>(userVector, items.Slice(i * d, d));
            scores[i] = offset + ItemBias[i] + dot;
        }
    }

    /// <summary>Scores every item for a known user.</summary>
    public void ScoreAll(int user, Span<float> scores) => ScoreAll(UserVector(user), UserBias[user], scores);
}
