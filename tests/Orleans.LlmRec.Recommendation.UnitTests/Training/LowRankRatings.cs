using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests.Training;

/// <summary>
/// A synthetic explicit-rating set drawn from known low-rank factors plus biases and noise:
/// r = clamp(3 + b_u + b_i + p_u · q_i + ε, 1, 5), a random fraction of all pairs observed.
/// </summary>
internal static class LowRankRatings
{
    public static RatingsDataset Generate(int users = 150, int items = 120, int rank = 3, double density = 0.25, double noise = 0.25, int seed = 7)
    {
        var random = new Random(seed);
        double Normal(double std) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()) * std;
        var p = new double[users, rank];
        var q = new double[items, rank];
        var bu = new double[users];
        var bi = new double[items];
        for (var u = 0; u < users; u++)
        {
            bu[u] = Normal(0.4);
            for (var f = 0; f < rank; f++) p[u, f] = Normal(0.7);
        }
        for (var i = 0; i < items; i++)
        {
            bi[i] = Normal(0.4);
            for (var f = 0; f < rank; f++) q[i, f] = Normal(0.7);
        }
        var interactions = new List<Interaction>();
        for (var u = 0; u < users; u++)
        {
            for (var i = 0; i < items; i++)
            {
                if (random.NextDouble() >= density) continue;
                var r = 3 + bu[u] + bi[i] + Normal(noise);
                for (var f = 0; f < rank; f++) r += p[u, f] * q[i, f];
                interactions.Add(new Interaction(u, i, (float)Math.Clamp(r, 1, 5), 0));
            }
        }
        var userMap = new IdMap(Enumerable.Range(0, users).Select(u => $"u{u}"));
        var itemMap = new IdMap(Enumerable.Range(0, items).Select(i => $"i{i}"));
        return new RatingsDataset("low-rank", userMap, itemMap, interactions.ToArray());
    }

    /// <summary>A seeded 80/20 split of <paramref name="data"/>.</summary>
    public static (RatingsDataset Train, Interaction[] Test) Split(RatingsDataset data, int seed = 3)
    {
        var shuffled = (Interaction[])data.Interactions.Clone();
        new Random(seed).Shuffle(shuffled);
        var testCount = shuffled.Length / 5;
        return (data.WithInteractions(shuffled[testCount..]), shuffled[..testCount]);
    }

    /// <summary>RMSE of always predicting the training mean: the baseline a factor model must beat.</summary>
    public static double GlobalMeanRmse(RatingsDataset train, IReadOnlyCollection<Interaction> test)
    {
        var mean = train.Interactions.Average(x => (double)x.Rating);
        return Math.Sqrt(test.Average(x => (x.Rating - mean) * (x.Rating - mean)));
    }
}
