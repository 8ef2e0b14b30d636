using System.Numerics.Tensors;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// Chooses GF-CF's ideal low-pass rank k and weight α on a validation split carved from the training data. The best
/// pair depends on the data: the paper's k = 256, α = 0.3 suit large sparse check-in graphs, while a small dense
/// MovieLens graph wants a few dozen components weighted higher. Both terms are linear in the user's row, so one
/// spectrum of the fitting part serves every candidate: per user the linear scores and the ideal filter's partial sums
/// up to each candidate rank are computed once, and each (k, α) is a weighted sum of them.
/// </summary>
internal static class GfCfValidation
{
    private const int GroupSize = 8;

    public sealed record Choice(int IdealRank, double Alpha, double Ndcg);

    public static Choice Choose(
        ItemSpectrum spectrum, InteractionMatrix fit, IReadOnlyList<Interaction> validation, int linearRank,
        IReadOnlyList<int> idealRanks, IReadOnlyList<double> alphas, int k, int maxUsers, int seed, ParallelOptions parallel)
    {
        var items = fit.ItemCount;
        var rank = spectrum.Rank;
        linearRank = Math.Min(linearRank, rank);
        var ranks = idealRanks.Select(r => Math.Min(r, rank)).Where(r => r > 0).Distinct().Order().ToArray();
        var maxIdeal = ranks.Length == 0 ? 0 : ranks[^1];
        // α = 0 (the linear filter alone) is one candidate whatever k; without a linear filter it scores nothing.
        var candidates = new List<(int Rank, double Alpha)>();
        if (linearRank > 0 && alphas.Contains(0)) candidates.Add((0, 0));
        foreach (var r in ranks)
        {
            foreach (var a in alphas.Where(a => a > 0)) candidates.Add((r, a));
        }
        if (candidates.Count == 0) throw new ArgumentException("No GF-CF candidate to validate.");

        var relevant = new Dictionary<int, HashSet<int>>();
        foreach (var x in validation)
        {
            if (x.User >= fit.UserCount || fit.UserDegree(x.User) == 0) continue;
            if (!relevant.TryGetValue(x.User, out var set)) relevant[x.User] = set = [];
            set.Add(x.Item);
        }
        var random = SplitMixRandom.ForStream(seed, -11, -11);
        var users = relevant.Keys.Order().Select(u => (User: u, Key: random.NextUInt64())).OrderBy(p => p.Key).Take(maxUsers)
            .Select(p => p.User).Order().ToArray();

        // Item coordinates in float, as the served model holds them.
        var vectors = new float[(long)items * rank];
        for (long n = 0; n < vectors.LongLength; n++) vectors[n] = (float)spectrum.Vectors[n];
        var weights = new float[linearRank];
        for (var j = 0; j < linearRank; j++) weights[j] = (float)spectrum.Values[j];
        var root = new float[items];
        for (var i = 0; i < items; i++) root[i] = MathF.Sqrt(fit.ItemDegree(i));

        // Users go in groups, so each item row is read from memory once per group rather than once per user.
        var perUser = new double[users.Length, candidates.Count];
        var groups = (users.Length + GroupSize - 1) / GroupSize;
        Parallel.For(0, groups, parallel,
            () => Enumerable.Range(0, GroupSize).Select(_ => new Buffers(items, linearRank, maxIdeal, ranks.Length, k)).ToArray(),
            (group, _, buffers) =>
            {
                var first = group * GroupSize;
                var size = Math.Min(GroupSize, users.Length - first);
                for (var q = 0; q < size; q++) Coefficients(fit, users[first + q], vectors, rank, weights, root, buffers[q]);
                for (var i = 0; i < items; i++)
                {
                    var row = vectors.AsSpan(i * rank, rank);
                    for (var q = 0; q < size; q++)
                    {
                        var b = buffers[q];
                        b.Linear[i] = linearRank == 0 ? 0 : TensorPrimitives.Dot<float>(b.LinearCoefficients, row[..linearRank]);
                        var sum = 0f;
                        var start = 0;
                        for (var g = 0; g < ranks.Length; g++)
                        {
                            sum += TensorPrimitives.Dot<float>(b.IdealCoefficients.AsSpan(start, ranks[g] - start), row[start..ranks[g]]);
                            start = ranks[g];
                            b.Ideal[g][i] = root[i] * sum;
                        }
                    }
                }
                for (var q = 0; q < size; q++)
                {
                    var b = buffers[q];
                    var user = users[first + q];
                    for (var c = 0; c < candidates.Count; c++)
                    {
                        var (r, alpha) = candidates[c];
                        if (r == 0) b.Linear.CopyTo(b.Scores, 0);
                        else TensorPrimitives.MultiplyAdd(b.Ideal[Array.IndexOf(ranks, r)], (float)alpha, b.Linear, b.Scores);
                        foreach (var seen in fit.ItemsOf(user)) b.Scores[seen] = float.NegativeInfinity;
                        var count = TopK.Select(b.Scores, k, b.Top);
                        perUser[first + q, c] = RankingMetrics.NdcgAtK(b.Top.AsSpan(0, count), relevant[user], k);
                    }
                }
                return buffers;
            }, _ => { });

        // Summed in user order, so the choice does not depend on thread scheduling; ties keep the earlier candidate.
        var best = 0;
        var bestScore = double.NegativeInfinity;
        for (var c = 0; c < candidates.Count; c++)
        {
            var total = 0.0;
            for (var u = 0; u < users.Length; u++) total += perUser[u, c];
            var mean = users.Length == 0 ? 0 : total / users.Length;
            if (mean > bestScore)
            {
                bestScore = mean;
                best = c;
            }
        }
        return new Choice(candidates[best].Rank, candidates[best].Alpha, bestScore);
    }

    // The user's coordinates: Σ σ²·V[i, :K] for the linear filter and Σ V[i, :k]/√deg(i) for the ideal one.
    private static void Coefficients(InteractionMatrix fit, int user, float[] vectors, int rank, float[] weights, float[] root, Buffers b)
    {
        Array.Clear(b.LinearCoefficients);
        Array.Clear(b.IdealCoefficients);
        foreach (var i in fit.ItemsOf(user))
        {
            var row = vectors.AsSpan(i * rank, rank);
            if (b.LinearCoefficients.Length > 0) TensorPrimitives.Add(b.LinearCoefficients, row[..b.LinearCoefficients.Length], b.LinearCoefficients);
            if (b.IdealCoefficients.Length > 0 && root[i] > 0)
            {
                TensorPrimitives.MultiplyAdd(row[..b.IdealCoefficients.Length], 1 / root[i], b.IdealCoefficients, b.IdealCoefficients);
            }
        }
        TensorPrimitives.Multiply(b.LinearCoefficients, weights, b.LinearCoefficients);
    }

    private sealed class Buffers(int items, int linearRank, int maxIdeal, int grid, int k)
    {
        public float[] LinearCoefficients { get; } = new float[linearRank];
        public float[] IdealCoefficients { get; } = new float[maxIdeal];
        public float[] Linear { get; } = new float[items];
        public float[][] Ideal { get; } = [.. Enumerable.Range(0, grid).Select(_ => new float[items])];
        public float[] Scores { get; } = new float[items];
        public int[] Top { get; } = new int[k];
    }
}
