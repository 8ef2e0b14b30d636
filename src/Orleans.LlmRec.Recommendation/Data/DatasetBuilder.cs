namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// Collects interactions and item text while a loader reads files. Ratings must be added before the catalogue so
/// rated items take the first indexes in first-seen order and catalogue-only items follow.
/// </summary>
internal sealed class DatasetBuilder
{
    private readonly List<Interaction> _interactions = [];

    public IdMap Users { get; } = new();
    public IdMap Items { get; } = new();
    public Dictionary<int, ItemInfo> ItemInfo { get; } = [];
    public int InteractionCount => _interactions.Count;

    public void AddInteraction(string user, string item, float rating, long timestamp) =>
        _interactions.Add(new Interaction(Users.GetOrAdd(user), Items.GetOrAdd(item), rating, timestamp));

    /// <summary>Fails on a ratings file with a header but no records: every later stage needs at least one.</summary>
    public void RequireInteractions(string ratingsPath)
    {
        if (_interactions.Count == 0)
        {
            throw new DataFormatException(ratingsPath, null, null, "contains no ratings");
        }
    }

    public RatingsDataset Build(string name) => new(name, Users, Items, _interactions.ToArray(), ItemInfo);
}
