using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>How a BPR trainer draws the (user, positive) half of its training triples.</summary>
public enum BprSampling
{
    /// <summary>
    /// Each epoch visits every training interaction once, in a seeded random order (Rendle's LearnBPR draws pairs
    /// uniformly; a shuffled pass is the same in expectation with less variance). Active users get more updates.
    /// </summary>
    Interactions,

    /// <summary>A uniform user, then a uniform item of theirs (the LightGCN reference code). Every user counts the same.</summary>
    Users,
}

/// <summary>
/// Draws BPR triples (user, positive item, negative item) from implicit feedback: every training interaction is a
/// positive, and a negative is an item the user has not interacted with, drawn uniformly from the items that occur in
/// training (an item nobody trained on carries no signal and is never ranked).
/// </summary>
internal sealed class BprTripleSampler
{
    private readonly InteractionMatrix _matrix;
    private readonly int[] _trainItems;
    private readonly int[] _eligibleUsers;
    private readonly int[] _pairUsers;
    private readonly int[] _pairItems;

    public BprTripleSampler(InteractionMatrix matrix)
    {
        _matrix = matrix;
        _trainItems = Enumerable.Range(0, matrix.ItemCount).Where(i => matrix.ItemDegree(i) > 0).ToArray();
        // A user who has every training item has no negative to contrast with.
        _eligibleUsers = Enumerable.Range(0, matrix.UserCount)
            .Where(u => matrix.UserDegree(u) > 0 && matrix.UserDegree(u) < _trainItems.Length)
            .ToArray();
        var pairs = _eligibleUsers.Sum(matrix.UserDegree);
        _pairUsers = new int[pairs];
        _pairItems = new int[pairs];
        var k = 0;
        foreach (var u in _eligibleUsers)
        {
            foreach (var i in matrix.ItemsOf(u))
            {
                _pairUsers[k] = u;
                _pairItems[k] = i;
                k++;
            }
        }
    }

    /// <summary>Number of (user, positive) pairs that can be drawn: one epoch's worth of triples.</summary>
    public int PairCount => _pairUsers.Length;

    /// <summary>A seeded permutation of the pair indexes, for <see cref="BprSampling.Interactions"/>.</summary>
    public int[] ShuffledPairs(int seed, int epoch)
    {
        var order = new int[_pairUsers.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        var rng = SplitMixRandom.ForStream(seed, epoch, -1);
        for (var i = order.Length - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>
    /// Fills one batch. With <see cref="BprSampling.Interactions"/> the pairs come from
    /// <paramref name="shuffledPairs"/>[<paramref name="start"/>..]; with <see cref="BprSampling.Users"/> they are drawn
    /// from <paramref name="rng"/>. Negatives always come from <paramref name="rng"/>.
    /// </summary>
    public void Fill(BprSampling sampling, int[]? shuffledPairs, int start, ref SplitMixRandom rng, Span<int> users, Span<int> positives, Span<int> negatives)
    {
        for (var t = 0; t < users.Length; t++)
        {
            int user, positive;
            if (sampling == BprSampling.Interactions)
            {
                var pair = shuffledPairs![start + t];
                user = _pairUsers[pair];
                positive = _pairItems[pair];
            }
            else
            {
                user = _eligibleUsers[rng.NextInt(_eligibleUsers.Length)];
                var items = _matrix.ItemsOf(user);
                positive = items[rng.NextInt(items.Length)];
            }
            users[t] = user;
            positives[t] = positive;
            negatives[t] = SampleNegative(user, ref rng);
        }
    }

    public int SampleNegative(int user, ref SplitMixRandom rng)
    {
        var owned = _matrix.ItemsOf(user);
        while (true)
        {
            var candidate = _trainItems[rng.NextInt(_trainItems.Length)];
            if (owned.BinarySearch(candidate) < 0) return candidate;
        }
    }
}
