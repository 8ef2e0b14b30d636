using System.Globalization;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>Sizes and shape of a <see cref="PowerLawClicks"/> click log.</summary>
public sealed record PowerLawClicksOptions
{
    public int Seed { get; init; } = 42;
    public int UserCount { get; init; } = 30_000;
    public int ItemCount { get; init; } = 40_000;

    /// <summary>Exactly this many distinct (user, item) clicks.</summary>
    public int InteractionCount { get; init; } = 1_000_000;

    /// <summary>Fewest clicks per user (LightGCN's data sets are 10-core).</summary>
    public int MinPerUser { get; init; } = 10;

    /// <summary>
    /// Most clicks per user, at most ItemCount / 4; null: 1,000 (about Gowalla's most active user) or ItemCount / 4
    /// when smaller.
    /// </summary>
    public int? MaxPerUser { get; init; }

    internal int EffectiveMaxPerUser => MaxPerUser ?? Math.Min(1_000, ItemCount / 4);

    /// <summary>
    /// Pareto tail index of user activity: P(clicks &gt; x) ∝ x^-index. Below 2 the variance is unbounded, as in
    /// check-in and click logs, where a few users click hundreds of times more than most.
    /// </summary>
    public double ActivityIndex { get; init; } = 1.5;

    /// <summary>Zipf exponent of item popularity: the k-th most popular item is drawn ∝ k^-exponent.</summary>
    public double PopularityExponent { get; init; } = 0.8;

    /// <summary>
    /// Groups of users and items that click among themselves (the structure a model can learn); null: one per 625
    /// items, at most 64, so a community holds as many items at any scale.
    /// </summary>
    public int? Communities { get; init; }

    internal int EffectiveCommunities => Communities ?? Math.Clamp(ItemCount / 625, 1, 64);

    /// <summary>Share of a user's clicks drawn inside the user's community; the rest follow global popularity.</summary>
    public double CommunityShare { get; init; } = 0.8;

    public long StartTimestamp { get; init; } = 1_420_070_400; // 2015-01-01
    public int TimeSpanDays { get; init; } = 365;
    public string Name { get; init; } = "synthetic-clicks";

    internal void Validate()
    {
        if (UserCount < 1) throw new ArgumentOutOfRangeException(nameof(UserCount), UserCount, "Needs at least one user.");
        if (ItemCount < 10) throw new ArgumentOutOfRangeException(nameof(ItemCount), ItemCount, "Needs at least 10 items.");
        if (MinPerUser < 1 || MinPerUser > ItemCount / 4) throw new ArgumentOutOfRangeException(nameof(MinPerUser), MinPerUser, "Must lie in [1, ItemCount / 4].");
        if (EffectiveMaxPerUser < MinPerUser || EffectiveMaxPerUser > ItemCount / 4) throw new ArgumentOutOfRangeException(nameof(MaxPerUser), MaxPerUser, "Must lie in [MinPerUser, ItemCount / 4].");
        if (InteractionCount < (long)UserCount * MinPerUser || InteractionCount > (long)UserCount * EffectiveMaxPerUser)
            throw new ArgumentOutOfRangeException(nameof(InteractionCount), InteractionCount, "Must lie in [UserCount × MinPerUser, UserCount × MaxPerUser].");
        if (!(ActivityIndex > 1)) throw new ArgumentOutOfRangeException(nameof(ActivityIndex), ActivityIndex, "Must be above 1 (a finite mean).");
        if (!(PopularityExponent >= 0)) throw new ArgumentOutOfRangeException(nameof(PopularityExponent), PopularityExponent, "Must be non-negative.");
        if (EffectiveCommunities < 1 || EffectiveCommunities > ItemCount) throw new ArgumentOutOfRangeException(nameof(Communities), Communities, "Must lie in [1, ItemCount].");
        if (!(CommunityShare is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(CommunityShare), CommunityShare, "Must lie in [0, 1].");
        if (TimeSpanDays < 1) throw new ArgumentOutOfRangeException(nameof(TimeSpanDays), TimeSpanDays, "Must be positive.");
    }
}

/// <summary>
/// A synthetic implicit-feedback click log the size and shape of the LightGCN benchmarks (Gowalla: ~30k users,
/// ~40k items, ~1M interactions): Pareto user activity, Zipf item popularity, and communities whose users click
/// mostly each other's items, so graph and factor models have something to find. Generated in linear time; the
/// same options always give the same data set.
/// </summary>
public static class PowerLawClicks
{
    public static RatingsDataset Generate(PowerLawClicksOptions? options = null)
    {
        options ??= new PowerLawClicksOptions();
        options.Validate();
        var random = SplitMixRandom.ForStream(options.Seed, 0x636c69636b73);
        var items = options.ItemCount;

        // Popularity ranks are shuffled over item ids, so an id says nothing about popularity.
        var rank = Enumerable.Range(0, items).ToArray();
        Shuffle(rank, ref random);
        var popularity = new double[items];
        for (var i = 0; i < items; i++) popularity[i] = Math.Pow(rank[i] + 1, -options.PopularityExponent);
        var global = new CumulativeSampler(Enumerable.Range(0, items).ToArray(), popularity);
        var home = new int[items];
        var communities = options.EffectiveCommunities;
        for (var i = 0; i < items; i++) home[i] = random.NextInt(communities);
        var byCommunity = Enumerable.Range(0, communities)
            .Select(c => Enumerable.Range(0, items).Where(i => home[i] == c).ToArray())
            .Select(m => m.Length == 0 ? null : new CumulativeSampler(m, m.Select(i => popularity[i]).ToArray()))
            .ToArray();

        var counts = ActivityCounts(options, ref random);
        var interactions = new Interaction[options.InteractionCount];
        var next = 0;
        var chosen = new HashSet<int>();
        var span = options.TimeSpanDays * 86_400L;
        for (var u = 0; u < options.UserCount; u++)
        {
            var community = byCommunity[random.NextInt(communities)];
            chosen.Clear();
            // A share of the draws from the user's community, the rest by global popularity; past 8 × count draws the
            // community is taken to be used up (a very active user in a small one) and only global draws remain.
            for (var attempt = 0; chosen.Count < counts[u]; attempt++)
            {
                var inside = community is not null && attempt < 8 * counts[u] && random.NextDouble() < options.CommunityShare;
                chosen.Add(inside ? community!.Sample(ref random) : global.Sample(ref random));
            }
            // Sorted then shuffled: a time order independent of hash-set details and of item ids.
            var clicks = chosen.Order().ToArray();
            Shuffle(clicks, ref random);
            var time = options.StartTimestamp + (long)(random.NextDouble() * span * 0.5);
            var gap = span * 0.5 / counts[u];
            foreach (var item in clicks)
            {
                time += 1 + (long)(random.NextDouble() * 2 * gap);
                interactions[next++] = new Interaction(u, item, 1f, time);
            }
        }
        var userMap = new IdMap(Enumerable.Range(1, options.UserCount).Select(u => u.ToString(CultureInfo.InvariantCulture)));
        var itemMap = new IdMap(Enumerable.Range(1, items).Select(i => i.ToString(CultureInfo.InvariantCulture)));
        return new RatingsDataset(options.Name, userMap, itemMap, interactions);
    }

    /// <summary>Per-user click counts: Pareto draws scaled to sum to exactly InteractionCount within [MinPerUser, MaxPerUser].</summary>
    private static int[] ActivityCounts(PowerLawClicksOptions o, ref SplitMixRandom random)
    {
        var excess = new double[o.UserCount];
        for (var u = 0; u < excess.Length; u++) excess[u] = Math.Pow(1 - random.NextDouble(), -1 / o.ActivityIndex) - 1;
        // Scale the part above the minimum so the counts add up; users capped at the maximum leave their share to the
        // others, so the scale is found again over the uncapped ones until no new user reaches the cap.
        var counts = new int[o.UserCount];
        var capped = new bool[o.UserCount];
        var max = o.EffectiveMaxPerUser;
        var span = max - o.MinPerUser;
        for (var changed = true; changed;)
        {
            changed = false;
            var budget = (double)o.InteractionCount - (long)o.UserCount * o.MinPerUser;
            var free = 0.0;
            for (var u = 0; u < excess.Length; u++)
            {
                if (capped[u]) budget -= span;
                else free += excess[u];
            }
            var scale = budget / Math.Max(1e-12, free);
            for (var u = 0; u < excess.Length; u++)
            {
                if (capped[u]) continue;
                var extra = Math.Floor(excess[u] * scale);
                if (extra >= span)
                {
                    capped[u] = changed = true;
                }
                counts[u] = o.MinPerUser + (int)Math.Min(span, extra);
            }
        }
        var missing = o.InteractionCount - counts.Sum(c => (long)c);
        // The rounding remainder goes one click at a time to users in order, never past the maximum.
        for (var u = 0; missing > 0; u = (u + 1) % counts.Length)
        {
            if (counts[u] < max)
            {
                counts[u]++;
                missing--;
            }
        }
        return counts;
    }

    private static void Shuffle(int[] values, ref SplitMixRandom random)
    {
        for (var i = values.Length - 1; i > 0; i--)
        {
            var j = random.NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    /// <summary>Draws from a fixed discrete distribution by binary search over cumulative weights.</summary>
    private sealed class CumulativeSampler
    {
        private readonly int[] _values;
        private readonly double[] _cumulative;

        public CumulativeSampler(int[] values, double[] weights)
        {
            _values = values;
            _cumulative = new double[weights.Length];
            var sum = 0.0;
            for (var k = 0; k < weights.Length; k++) _cumulative[k] = sum += weights[k];
        }

        public int Sample(ref SplitMixRandom random)
        {
            var target = random.NextDouble() * _cumulative[^1];
            var k = Array.BinarySearch(_cumulative, target);
            k = k >= 0 ? k + 1 : ~k;
            return _values[Math.Min(k, _values.Length - 1)];
        }
    }
}
