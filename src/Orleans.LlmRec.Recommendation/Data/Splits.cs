namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>A train/test split of interactions. Splits never put the same interaction in both parts.</summary>
public sealed record DataSplit(Interaction[] Train, Interaction[] Test);

/// <summary>Which column a stratified split groups by.</summary>
public enum StratifyBy
{
    User,
    Item,
}

/// <summary>Which interaction leave-one-out holds out per user.</summary>
public enum LeaveOneOutMode
{
    Latest,
    Random,
}

/// <summary>
/// The split protocols of the field, named for what they do. All are deterministic for a seed: each group is
/// shuffled by its own generator seeded from (seed, group id), so the result does not depend on input order.
/// </summary>
public static class Splits
{
    /// <summary>
    /// Microsoft Recommenders' <c>python_stratified_split</c>: within each group (item or user), shuffle, then the
    /// first round(ratio·n) interactions go to train, the rest to test. Groups smaller than
    /// <paramref name="minGroupSize"/> are dropped, as their <c>min_rating</c> filter does. Rounding is half-to-even
    /// like numpy's. Their ml-100k benchmark uses ratio 0.75, groups by item, seed 42.
    /// </summary>
    public static DataSplit Stratified(IReadOnlyList<Interaction> all, double ratio = 0.75, StratifyBy by = StratifyBy.Item, int seed = 42, int minGroupSize = 1)
    {
        ValidateRatio(ratio);
        var train = new List<Interaction>(all.Count);
        var test = new List<Interaction>(all.Count / 3);
        foreach (var (key, group) in GroupsOf(all, by))
        {
            if (group.Count < minGroupSize) continue;
            Shuffle(group, GroupSeed(seed, key));
            var cut = (int)Math.Round(group.Count * ratio, MidpointRounding.ToEven);
            for (var i = 0; i < group.Count; i++) (i < cut ? train : test).Add(group[i]);
        }
        return new DataSplit([.. train], [.. test]);
    }

    /// <summary>Global random split: each interaction goes to train with probability ≈ ratio (exact count round(ratio·n)).</summary>
    public static DataSplit Random(IReadOnlyList<Interaction> all, double ratio = 0.75, int seed = 42)
    {
        ValidateRatio(ratio);
        var shuffled = all.ToList();
        Shuffle(shuffled, seed);
        var cut = (int)Math.Round(shuffled.Count * ratio, MidpointRounding.ToEven);
        return new DataSplit([.. shuffled.Take(cut)], [.. shuffled.Skip(cut)]);
    }

    /// <summary>
    /// Leave-one-out: per user with at least two interactions, one goes to test (the latest by timestamp, ties broken
    /// by item id; or a random one), the rest to train. Users with one interaction stay wholly in train.
    /// </summary>
    public static DataSplit LeaveOneOut(IReadOnlyList<Interaction> all, LeaveOneOutMode mode = LeaveOneOutMode.Latest, int seed = 42)
    {
        var train = new List<Interaction>(all.Count);
        var test = new List<Interaction>();
        foreach (var (user, group) in GroupsOf(all, StratifyBy.User))
        {
            if (group.Count < 2)
            {
                train.AddRange(group);
                continue;
            }
            int held;
            if (mode == LeaveOneOutMode.Latest)
            {
                held = 0;
                for (var i = 1; i < group.Count; i++)
                {
                    var (a, b) = (group[i], group[held]);
                    if (a.Timestamp > b.Timestamp || (a.Timestamp == b.Timestamp && a.Item > b.Item)) held = i;
                }
            }
            else
            {
                group.Sort((a, b) => a.Item.CompareTo(b.Item));
                held = new System.Random(GroupSeed(seed, user)).Next(group.Count);
            }
            for (var i = 0; i < group.Count; i++) (i == held ? test : train).Add(group[i]);
        }
        return new DataSplit([.. train], [.. test]);
    }

    /// <summary>
    /// Temporal split. Global: the earliest round(ratio·n) interactions by timestamp go to train (a true "train on the
    /// past, test on the future"). Per user: each user's earliest round(ratio·n_u) go to train.
    /// </summary>
    public static DataSplit Temporal(IReadOnlyList<Interaction> all, double ratio = 0.8, bool perUser = false)
    {
        ValidateRatio(ratio);
        if (!perUser)
        {
            var ordered = all.OrderBy(x => x.Timestamp).ThenBy(x => x.User).ThenBy(x => x.Item).ToArray();
            var cut = (int)Math.Round(ordered.Length * ratio, MidpointRounding.ToEven);
            return new DataSplit(ordered[..cut], ordered[cut..]);
        }
        var train = new List<Interaction>(all.Count);
        var test = new List<Interaction>();
        foreach (var (_, group) in GroupsOf(all, StratifyBy.User))
        {
            group.Sort((a, b) => a.Timestamp != b.Timestamp ? a.Timestamp.CompareTo(b.Timestamp) : a.Item.CompareTo(b.Item));
            var cut = (int)Math.Round(group.Count * ratio, MidpointRounding.ToEven);
            for (var i = 0; i < group.Count; i++) (i < cut ? train : test).Add(group[i]);
        }
        return new DataSplit([.. train], [.. test]);
    }

    private static void ValidateRatio(double ratio)
    {
        if (!(ratio > 0 && ratio < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "The train ratio must lie strictly between 0 and 1.");
        }
    }

    // Groups in ascending key order, each group in a canonical (user, item, timestamp) order, so shuffles are
    // reproducible whatever order the file listed them in.
    private static SortedDictionary<int, List<Interaction>> GroupsOf(IReadOnlyList<Interaction> all, StratifyBy by)
    {
        var groups = new SortedDictionary<int, List<Interaction>>();
        foreach (var x in all)
        {
            var key = by == StratifyBy.Item ? x.Item : x.User;
            if (!groups.TryGetValue(key, out var list)) groups[key] = list = [];
            list.Add(x);
        }
        foreach (var list in groups.Values)
        {
            list.Sort((a, b) => a.User != b.User ? a.User.CompareTo(b.User)
                : a.Item != b.Item ? a.Item.CompareTo(b.Item)
                : a.Timestamp.CompareTo(b.Timestamp));
        }
        return groups;
    }

    // Not HashCode.Combine: it is randomised per process, and splits must be the same on every run.
    private static int GroupSeed(int seed, int key) => unchecked(seed * 1_000_003 + key * 7_919);

    private static void Shuffle<T>(List<T> list, int seed)
    {
        var rng = new System.Random(seed);
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
