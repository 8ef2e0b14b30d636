namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// A loaded data set: interactions with dense ids, the maps back to external ids, and item text.
/// Every item that appears in <see cref="Interactions"/> has an index in <see cref="Items"/>; items that
/// only appear in the catalogue (never rated) also get an index, after the rated ones.
/// </summary>
public sealed class RatingsDataset
{
    public RatingsDataset(string name, IdMap users, IdMap items, Interaction[] interactions, IReadOnlyDictionary<int, ItemInfo>? itemInfo = null)
    {
        Name = name;
        Users = users;
        Items = items;
        Interactions = interactions;
        ItemInfo = itemInfo ?? new Dictionary<int, ItemInfo>();
        foreach (var x in interactions)
        {
            if ((uint)x.User >= (uint)users.Count || (uint)x.Item >= (uint)items.Count)
            {
                throw new ArgumentException($"Interaction ({x.User},{x.Item}) is outside the id maps ({users.Count} users, {items.Count} items).", nameof(interactions));
            }
        }
    }

    public string Name { get; }
    public IdMap Users { get; }
    public IdMap Items { get; }
    public Interaction[] Interactions { get; }

    /// <summary>Item text by dense item index; items without text are absent.</summary>
    public IReadOnlyDictionary<int, ItemInfo> ItemInfo { get; }

    public int UserCount => Users.Count;
    public int ItemCount => Items.Count;

    /// <summary>A data set with the same maps and item text but other interactions (a split's train or test part).</summary>
    public RatingsDataset WithInteractions(Interaction[] interactions, string? name = null) =>
        new(name ?? Name, Users, Items, interactions, ItemInfo);

    public InteractionMatrix ToMatrix(float minRating = float.NegativeInfinity) =>
        InteractionMatrix.Build(UserCount, ItemCount, Interactions, minRating);
}
