using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.Evaluation;

/// <summary>Scores every item for one user into <paramref name="scores"/> (higher is better).</summary>
public delegate void UserScorer(int user, Span<float> scores);

/// <summary>How an all-ranking evaluation is run.</summary>
public sealed record RankingEvaluationOptions
{
    public IReadOnlyList<int> Ks { get; init; } = [10];

    /// <summary>Test interactions rated below this are not relevant (Microsoft Recommenders' protocol: every test rating is relevant).</summary>
    public float RelevanceThreshold { get; init; } = float.NegativeInfinity;

    /// <summary>
    /// Rank only items seen in training (Microsoft Recommenders does: a model cannot score an item it never saw).
    /// When false every catalogue item is a candidate.
    /// </summary>
    public bool OnlyTrainItems { get; init; } = true;

    public int? MaxDegreeOfParallelism { get; init; }
}

/// <summary>Averages over the evaluated users, per K, plus catalogue coverage.</summary>
public sealed record RankingReport(int EvaluatedUsers, IReadOnlyDictionary<int, RankingMetricsAtK> ByK)
{
    /// <summary>Flat names such as "ndcg@10", for JSON output and manifests.</summary>
    public Dictionary<string, double> ToDictionary()
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (k, m) in ByK.OrderBy(p => p.Key))
        {
            result[$"precision@{k}"] = m.Precision;
            result[$"recall@{k}"] = m.Recall;
            result[$"ndcg@{k}"] = m.Ndcg;
            result[$"map@{k}"] = m.Map;
            result[$"hitrate@{k}"] = m.HitRate;
            result[$"coverage@{k}"] = m.Coverage;
        }
        return result;
    }
}

public sealed record RankingMetricsAtK(int K, double Precision, double Recall, double Ndcg, double Map, double HitRate, double Coverage);

/// <summary>
/// All-ranking evaluation: for each user with at least one training interaction and one relevant test item, score
/// the whole catalogue, remove the items the user has in training, take the top K and compare with the test items.
/// Users are the intersection of train users and test users, as in Microsoft Recommenders' merge of truth and
/// predictions. Coverage is the share of candidate items that appear in anyone's top K.
/// </summary>
public static class RankingEvaluator
{
    public static RankingReport Evaluate(EmbeddingModel model, InteractionMatrix train, IReadOnlyList<Interaction> test, RankingEvaluationOptions? options = null) =>
        Evaluate(model.ScoreAll, model.ItemCount, train, test, options);

    public static RankingReport Evaluate(UserScorer scorer, int itemCount, InteractionMatrix train, IReadOnlyList<Interaction> test, RankingEvaluationOptions? options = null)
    {
        options ??= new RankingEvaluationOptions();
        if (options.Ks.Count == 0 || options.Ks.Any(k => k <= 0))
        {
            throw new ArgumentException("Every K must be positive.", nameof(options));
        }
        var relevantByUser = new Dictionary<int, HashSet<int>>();
        foreach (var x in test)
        {
            if (x.Rating < options.RelevanceThreshold) continue;
            if (x.User >= train.UserCount || train.UserDegree(x.User) == 0) continue;
            if (!relevantByUser.TryGetValue(x.User, out var set)) relevantByUser[x.User] = set = [];
            set.Add(x.Item);
        }
        var users = relevantByUser.Keys.Order().ToArray();
        var maxK = options.Ks.Max();
        var ks = options.Ks.Distinct().Order().ToArray();
        var candidate = new bool[itemCount];
        for (var i = 0; i < itemCount; i++) candidate[i] = !options.OnlyTrainItems || (i < train.ItemCount && train.ItemDegree(i) > 0);

        // Per user and per K: precision, recall, ndcg, map, hit. Summed in user order afterwards, so the totals do not
        // depend on thread scheduling.
        var perUser = new double[users.Length, ks.Length, 5];
        var recommended = new bool[ks.Length][];
        for (var j = 0; j < ks.Length; j++) recommended[j] = new bool[itemCount];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.MaxDegreeOfParallelism ?? Environment.ProcessorCount };
        Parallel.For(0, users.Length, parallel,
            () => (Scores: new float[itemCount], Top: new int[maxK]),
            (index, _, buffers) =>
            {
                var user = users[index];
                scorer(user, buffers.Scores);
                for (var i = 0; i < itemCount; i++)
                {
                    if (!candidate[i]) buffers.Scores[i] = float.NegativeInfinity;
                }
                foreach (var seen in train.ItemsOf(user)) buffers.Scores[seen] = float.NegativeInfinity;
                var count = TopK.Select(buffers.Scores, maxK, buffers.Top);
                var ranked = buffers.Top.AsSpan(0, count);
                var relevant = relevantByUser[user];
                for (var j = 0; j < ks.Length; j++)
                {
                    var k = ks[j];
                    perUser[index, j, 0] = RankingMetrics.PrecisionAtK(ranked, relevant, k);
                    perUser[index, j, 1] = RankingMetrics.RecallAtK(ranked, relevant, k);
                    perUser[index, j, 2] = RankingMetrics.NdcgAtK(ranked, relevant, k);
                    perUser[index, j, 3] = RankingMetrics.AveragePrecisionAtK(ranked, relevant, k);
                    perUser[index, j, 4] = RankingMetrics.HitRateAtK(ranked, relevant, k);
                    var marks = recommended[j];
                    foreach (var item in ranked[..Math.Min(k, ranked.Length)]) marks[item] = true;
                }
                return buffers;
            },
            _ => { });

        var candidateCount = candidate.Count(c => c);
        var byK = new Dictionary<int, RankingMetricsAtK>();
        for (var j = 0; j < ks.Length; j++)
        {
            var sums = new double[5];
            for (var u = 0; u < users.Length; u++)
            {
                for (var m = 0; m < 5; m++) sums[m] += perUser[u, j, m];
            }
            var n = Math.Max(1, users.Length);
            var coverage = candidateCount == 0 ? 0 : (double)recommended[j].Count(r => r) / candidateCount;
            byK[ks[j]] = new RankingMetricsAtK(ks[j], sums[0] / n, sums[1] / n, sums[2] / n, sums[3] / n, sums[4] / n, coverage);
        }
        return new RankingReport(users.Length, byK);
    }
}
