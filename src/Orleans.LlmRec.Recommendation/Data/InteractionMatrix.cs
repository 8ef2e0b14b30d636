namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// A sparse user × item matrix held twice, by row (CSR, per user) and by column (CSC, per item), so trainers
/// can walk a user's items and an item's users without searching. Duplicate (user, item) pairs keep the last rating.
/// Items within a user's row (and users within an item's column) are sorted ascending.
/// </summary>
public sealed class InteractionMatrix
{
    private InteractionMatrix(int userCount, int itemCount, int[] userOffsets, int[] userItems, float[] userRatings, int[] itemOffsets, int[] itemUsers, float[] itemRatings)
    {
        UserCount = userCount;
        ItemCount = itemCount;
        UserOffsets = userOffsets;
        UserItems = userItems;
        UserRatings = userRatings;
        ItemOffsets = itemOffsets;
        ItemUsers = itemUsers;
        ItemRatings = itemRatings;
    }

    public int UserCount { get; }
    public int ItemCount { get; }
    public int NonZeroCount => UserItems.Length;

    /// <summary>CSR: the items of user u are UserItems[UserOffsets[u]..UserOffsets[u+1]].</summary>
    public int[] UserOffsets { get; }
    public int[] UserItems { get; }
    public float[] UserRatings { get; }

    /// <summary>CSC: the users of item i are ItemUsers[ItemOffsets[i]..ItemOffsets[i+1]].</summary>
    public int[] ItemOffsets { get; }
    public int[] ItemUsers { get; }
    public float[] ItemRatings { get; }

    public ReadOnlySpan<int> ItemsOf(int user) => UserItems.AsSpan(UserOffsets[user], UserOffsets[user + 1] - UserOffsets[user]);
    public ReadOnlySpan<float> RatingsOf(int user) => UserRatings.AsSpan(UserOffsets[user], UserOffsets[user + 1] - UserOffsets[user]);
    public ReadOnlySpan<int> UsersOf(int item) => ItemUsers.AsSpan(ItemOffsets[item], ItemOffsets[item + 1] - ItemOffsets[item]);
    public int UserDegree(int user) => UserOffsets[user + 1] - UserOffsets[user];
    public int ItemDegree(int item) => ItemOffsets[item + 1] - ItemOffsets[item];

    /// <summary>True when the user has the item (binary search over the sorted row).</summary>
    public bool Contains(int user, int item) => ItemsOf(user).BinarySearch(item) >= 0;

    /// <summary>Builds both layouts; interactions rated below <paramref name="minRating"/> are left out.</summary>
    public static InteractionMatrix Build(int userCount, int itemCount, IReadOnlyList<Interaction> interactions, float minRating = float.NegativeInfinity)
    {
        // Sort (user, item) so duplicates are adjacent and rows come out ordered; the last duplicate wins.
        var kept = new List<Interaction>(interactions.Count);
        foreach (var x in interactions)
        {
            if (x.Rating >= minRating)
            {
                kept.Add(x);
            }
        }
        var order = kept.ToArray();
        var sequence = new int[order.Length];
        for (var i = 0; i < sequence.Length; i++) sequence[i] = i;
        Array.Sort(sequence, (a, b) =>
        {
            var c = order[a].User.CompareTo(order[b].User);
            if (c != 0) return c;
            c = order[a].Item.CompareTo(order[b].Item);
            return c != 0 ? c : a.CompareTo(b);
        });

        var users = new List<int>(order.Length);
        var items = new List<int>(order.Length);
        var ratings = new List<float>(order.Length);
        for (var k = 0; k < sequence.Length; k++)
        {
            var x = order[sequence[k]];
            if (users.Count > 0 && users[^1] == x.User && items[^1] == x.Item)
            {
                ratings[^1] = x.Rating;
                continue;
            }
            users.Add(x.User);
            items.Add(x.Item);
            ratings.Add(x.Rating);
        }

        var nnz = users.Count;
        var userOffsets = new int[userCount + 1];
        foreach (var u in users) userOffsets[u + 1]++;
        for (var u = 0; u < userCount; u++) userOffsets[u + 1] += userOffsets[u];
        var userItems = items.ToArray();
        var userRatings = ratings.ToArray();

        var itemOffsets = new int[itemCount + 1];
        foreach (var i in userItems) itemOffsets[i + 1]++;
        for (var i = 0; i < itemCount; i++) itemOffsets[i + 1] += itemOffsets[i];
        var cursor = (int[])itemOffsets.Clone();
        var itemUsers = new int[nnz];
        var itemRatings = new float[nnz];
        // Walking rows in user order fills each column in ascending user order.
        for (var k = 0; k < nnz; k++)
        {
            var slot = cursor[userItems[k]]++;
            itemUsers[slot] = users[k];
            itemRatings[slot] = userRatings[k];
        }
        return new InteractionMatrix(userCount, itemCount, userOffsets, userItems, userRatings, itemOffsets, itemUsers, itemRatings);
    }
}
