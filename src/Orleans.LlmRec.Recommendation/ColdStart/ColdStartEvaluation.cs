using System.Numerics.Tensors;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.ColdStart;

/// <summary>Recall@K and NDCG@K of one placement, averaged over the evaluated users.</summary>
public sealed record ColdStartResult(string Method, IReadOnlyDictionary<int, double> Recall, IReadOnlyDictionary<int, double> Ndcg);

/// <summary>
/// The cold-start measure. Protocol: for every user with a held-out interaction on a new item (and at least one
/// training interaction), rank all new items (only them: the question is which new item to show, not whether to show
/// a new item rather than an old one) by the model's score <c>user bias + item bias + user · item</c> with the
/// placement's item vectors and biases (the user and global biases are the same for every item and do not change the
/// order); the relevant items are the user's held-out new items, every interaction counting (no rating threshold).
/// Recall@K = hits / |relevant|, NDCG@K with the ideal DCG over min(K, |relevant|) (<see cref="RankingMetrics"/>),
/// both averaged over users. Random placement is a fresh seeded permutation per user.
/// </summary>
public static class ColdStartEvaluation
{
    public static ColdStartResult Measure(EmbeddingModel model, ColdStartSplit split, NewItemPlacement placement, IReadOnlyList<int> ks) =>
        Measure(split, ks, placement.Name, (user, scores) =>
        {
            placement.Bias.CopyTo(scores);
            if (placement.Dimension == 0) return;
            var userVector = model.UserVector(user);
            for (var r = 0; r < scores.Length; r++) scores[r] += TensorPrimitives.Dot<float>(userVector, placement.VectorOf(r));
        });

    /// <summary>Every new item in a random order per user (seeded): the floor any placement must clear.</summary>
    public static ColdStartResult MeasureRandom(ColdStartSplit split, IReadOnlyList<int> ks, int seed) =>
        Measure(split, ks, "random placement", (user, scores) =>
        {
            var random = SplitMixRandom.ForStream(seed, 0x4A4D, user);
            for (var r = 0; r < scores.Length; r++) scores[r] = (float)random.NextDouble();
        });

    private static ColdStartResult Measure(ColdStartSplit split, IReadOnlyList<int> ks, string name, Action<int, float[]> score)
    {
        var rowOf = new Dictionary<int, int>(split.NewItems.Length);
        for (var r = 0; r < split.NewItems.Length; r++) rowOf[split.NewItems[r]] = r;
        var relevantByUser = split.Test
            .GroupBy(x => x.User)
            .OrderBy(g => g.Key)
            .Select(g => (User: g.Key, Relevant: (IReadOnlySet<int>)g.Select(x => rowOf[x.Item]).ToHashSet()))
            .ToArray();
        var maxK = ks.Max();
        var recall = ks.ToDictionary(k => k, _ => 0.0);
        var ndcg = ks.ToDictionary(k => k, _ => 0.0);
        var scores = new float[split.NewItems.Length];
        var ranked = new int[Math.Min(maxK, scores.Length)];
        foreach (var (user, relevant) in relevantByUser)
        {
            score(user, scores);
            var found = TopK.Select(scores, ranked.Length, ranked);
            var list = ranked.AsSpan(0, found);
            foreach (var k in ks)
            {
                recall[k] += RankingMetrics.RecallAtK(list, relevant, k);
                ndcg[k] += RankingMetrics.NdcgAtK(list, relevant, k);
            }
        }
        var users = Math.Max(1, relevantByUser.Length);
        return new ColdStartResult(name, ks.ToDictionary(k => k, k => recall[k] / users), ks.ToDictionary(k => k, k => ndcg[k] / users));
    }

    /// <summary>Users the measure averages over: those with a held-out interaction on a new item.</summary>
    public static int EvaluatedUsers(ColdStartSplit split) => split.Test.Select(x => x.User).Distinct().Count();
}
