using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.Evaluation;

/// <summary>Writes one user's recommendations, best first, into <paramref name="ranked"/> and returns how many it wrote.</summary>
public delegate int TopNRecommender(int user, Span<int> ranked);

/// <summary>Hit rates of one leave-one-out run (or several pooled).</summary>
/// <param name="Cases">Held-out ratings evaluated (one per user with at least two ratings and some training data).</param>
/// <param name="RelevantCases">Of those, the ones rated at or above the threshold (the cumulative hit rate's denominator).</param>
/// <param name="Hits">Per N: cases whose held-out item is in the top N.</param>
/// <param name="RelevantHits">Per N: relevant cases whose held-out item is in the top N.</param>
public sealed record HitRateReport(int Cases, int RelevantCases, IReadOnlyDictionary<int, int> Hits, IReadOnlyDictionary<int, int> RelevantHits, float Threshold)
{
    public double HitRate(int n) => Cases == 0 ? 0 : (double)Hits[n] / Cases;

    public double CumulativeHitRate(int n) => RelevantCases == 0 ? 0 : (double)RelevantHits[n] / RelevantCases;

    /// <summary>Adds another run's counts (pooled rates: total hits over total cases).</summary>
    public HitRateReport Plus(HitRateReport other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!Hits.Keys.Order().SequenceEqual(other.Hits.Keys.Order()) || Threshold != other.Threshold)
        {
            throw new ArgumentException("Only reports with the same cut-offs and threshold can be pooled.", nameof(other));
        }
        return new HitRateReport(
            Cases + other.Cases,
            RelevantCases + other.RelevantCases,
            Hits.ToDictionary(p => p.Key, p => p.Value + other.Hits[p.Key]),
            RelevantHits.ToDictionary(p => p.Key, p => p.Value + other.RelevantHits[p.Key]),
            Threshold);
    }

    /// <summary>Flat names: <c>hr@N</c>, <c>chr@N</c> (cumulative, held-out rating ≥ threshold), and the case counts.</summary>
    public Dictionary<string, double> ToDictionary()
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var n in Hits.Keys.Order())
        {
            result[$"hr@{n}"] = HitRate(n);
            result[$"chr@{n}"] = CumulativeHitRate(n);
        }
        result["cases"] = Cases;
        result["relevant_cases"] = RelevantCases;
        return result;
    }
}

/// <summary>
/// The leave-one-out hit rate of arXiv 2507.07251 (Goldstein and Dutta), as their code computes it: for each user with
/// more than one rating, one rating chosen at random is held out and the model trains on the rest; a case is a hit at N
/// when the held-out item is among the user's top N recommendations (items they rated in training excluded). The hit
/// rate counts every case; the "cumulative hit rate" only cases whose held-out rating is at least the threshold (4.0).
/// <para>
/// Two deliberate differences from their script: only items seen in training are ranked (as our other protocols do;
/// their SVD gives never-seen items the global mean), and each rate is hits over cases. Their script adds every case
/// to the denominator once per N evaluated, so with N ∈ {1, 5, 10} their published rates are a third of hits over
/// cases (e.g. 11 hits in 610 cases printed as 0.006011 = 11/1830).
/// </para>
/// </summary>
public static class PaperHitRate
{
    public static readonly IReadOnlyList<int> DefaultCutoffs = [1, 5, 10];

    public const float DefaultThreshold = 4f;

    /// <summary>One random held-out rating per user with at least two, seeded per user.</summary>
    public static DataSplit Split(IReadOnlyList<Interaction> all, int seed) => Splits.LeaveOneOut(all, LeaveOneOutMode.Random, seed);

    /// <summary>
    /// Hit rates over <paramref name="heldOut"/>. Cases whose user has no training interactions are skipped (no model
    /// can rank for them), as are cases <paramref name="include"/> rejects (a leak check, for instance).
    /// </summary>
    public static HitRateReport Evaluate(
        TopNRecommender recommend,
        InteractionMatrix train,
        IReadOnlyList<Interaction> heldOut,
        IReadOnlyList<int>? cutoffs = null,
        float threshold = DefaultThreshold,
        Func<Interaction, bool>? include = null,
        int? maxDegreeOfParallelism = null)
    {
        ArgumentNullException.ThrowIfNull(recommend);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(heldOut);
        var ns = (cutoffs ?? DefaultCutoffs).Distinct().Order().ToArray();
        if (ns.Length == 0 || ns[0] <= 0)
        {
            throw new ArgumentException("Every cut-off must be positive.", nameof(cutoffs));
        }
        var cases = heldOut
            .Where(x => x.User < train.UserCount && train.UserDegree(x.User) > 0 && (include is null || include(x)))
            .ToArray();
        var maxN = ns[^1];
        // Rank of the held-out item per case (int.MaxValue when outside the top maxN); summed in case order afterwards.
        var ranks = new int[cases.Length];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism ?? Environment.ProcessorCount };
        Parallel.For(0, cases.Length, parallel, () => new int[maxN], (c, _, buffer) =>
        {
            var count = Math.Min(recommend(cases[c].User, buffer), maxN);
            ranks[c] = int.MaxValue;
            for (var r = 0; r < count; r++)
            {
                if (buffer[r] == cases[c].Item)
                {
                    ranks[c] = r;
                    break;
                }
            }
            return buffer;
        }, _ => { });

        var hits = ns.ToDictionary(n => n, _ => 0);
        var relevantHits = ns.ToDictionary(n => n, _ => 0);
        var relevant = 0;
        for (var c = 0; c < cases.Length; c++)
        {
            var isRelevant = cases[c].Rating >= threshold;
            if (isRelevant) relevant++;
            foreach (var n in ns)
            {
                if (ranks[c] >= n) continue;
                hits[n]++;
                if (isRelevant) relevantHits[n]++;
            }
        }
        return new HitRateReport(cases.Length, relevant, hits, relevantHits, threshold);
    }

    /// <summary>
    /// A recommender from a scorer: the top N among items seen in training that the user has not rated in training.
    /// </summary>
    public static TopNRecommender FromScorer(UserScorer scorer, int itemCount, InteractionMatrix train)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(train);
        var scores = new ThreadLocal<float[]>(() => new float[itemCount]);
        return (user, ranked) =>
        {
            var buffer = scores.Value!;
            scorer(user, buffer);
            ExcludeUnrankable(buffer, user, train);
            return TopK.Select(buffer, ranked.Length, ranked);
        };
    }

    /// <summary>Sets items never seen in training, and the user's own training items, to −∞.</summary>
    public static void ExcludeUnrankable(Span<float> scores, int user, InteractionMatrix train)
    {
        for (var i = 0; i < scores.Length; i++)
        {
            if (i >= train.ItemCount || train.ItemDegree(i) == 0) scores[i] = float.NegativeInfinity;
        }
        foreach (var seen in train.ItemsOf(user)) scores[seen] = float.NegativeInfinity;
    }
}
