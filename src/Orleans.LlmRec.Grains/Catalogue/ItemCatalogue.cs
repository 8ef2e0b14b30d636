using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Grains.Catalogue;

/// <summary>
/// The items the service knows, loaded once per silo and shared by every grain: the dense index of each external id
/// (the model's item map, so indexes line up with the scorer), item text, popularity, and each training user's
/// history (so a user the model was trained on is not a stranger on first visit).
/// </summary>
public sealed class ItemCatalogue
{
    private readonly IdMap _items;
    private readonly ItemInfo?[] _info;
    private readonly int[] _interactionCounts;
    private readonly int[] _popularItems;
    private readonly Dictionary<string, RecentInteraction[]> _trainingHistory;

    private ItemCatalogue(string name, IdMap items, ItemInfo?[] info, int[] interactionCounts, int userCount, Dictionary<string, RecentInteraction[]> trainingHistory)
    {
        Name = name;
        _items = items;
        _info = info;
        _interactionCounts = interactionCounts;
        UserCount = userCount;
        _trainingHistory = trainingHistory;
        // Most interactions first; ties by index so the order is the same on every silo.
        _popularItems = Enumerable.Range(0, items.Count)
            .OrderByDescending(i => interactionCounts[i]).ThenBy(i => i)
            .ToArray();
        Checksum = items.Checksum();
        Additions = new CatalogueAdditions(items);
    }

    public string Name { get; }

    /// <summary>Items the served model was trained on (dense indexes below this): what the ONNX scorer knows.</summary>
    public int Count => _items.Count;

    /// <summary>Trained items and items published since (<see cref="Additions"/>).</summary>
    public int TotalCount => _items.Count + Additions.NewCount;

    /// <summary>The live part: items published after training, publications over trained items, retired items.</summary>
    public CatalogueAdditions Additions { get; }

    /// <summary>Changes when anything a feed may hold changes (an item added, retired, hidden): cached feeds of another generation are rebuilt.</summary>
    public long Generation => Additions.Generation;

    /// <summary>Users in the data set the catalogue was built from (the denominator of popularity shares).</summary>
    public int UserCount { get; }

    /// <summary>SHA-256 of the ordered item ids: the scorer refuses a model whose checksum differs.</summary>
    public string Checksum { get; }

    public IdMap Items => _items;

    /// <summary>Dense item indexes, most popular first.</summary>
    public ReadOnlySpan<int> PopularItems => _popularItems;

    /// <summary>The dense index of a trained or published item (published ones: <see cref="Count"/> and above).</summary>
    public bool TryGetIndex(string itemId, out int index) => _items.TryGetIndex(itemId, out index) || Additions.TryGetIndex(itemId, out index);

    public bool Contains(string itemId) => TryGetIndex(itemId, out _);

    public string ItemIdOf(int index) => index < _items.Count ? _items.GetExternalId(index) : Additions.ItemIdOf(index);

    /// <summary>The item's text: its last publication, else the data set's.</summary>
    public ItemInfo? InfoOf(int index) => Additions.StateOf(index)?.Info ?? (index < _info.Length ? _info[index] : null);

    public string? TitleOf(int index) => InfoOf(index)?.Title;

    public string? TitleOf(string itemId) => TryGetIndex(itemId, out var index) ? InfoOf(index)?.Title : null;

    /// <summary>How many data-set users interacted with the item (0 for items published after training).</summary>
    public int InteractionCountOf(int index) => index < _interactionCounts.Length ? _interactionCounts[index] : 0;

    /// <summary>Share of data-set users who interacted with the item, in [0, 1].</summary>
    public float PopularityOf(int index) => UserCount == 0 ? 0f : (float)InteractionCountOf(index) / UserCount;

    /// <summary>The user's interactions in the data set, oldest first (at most the limit given at build time); empty for other users.</summary>
    public IReadOnlyList<RecentInteraction> TrainingHistoryOf(string userId) =>
        _trainingHistory.TryGetValue(userId, out var history) ? history : [];

    /// <summary>
    /// Builds the catalogue over <paramref name="modelItems"/> (the served model's item map, which fixes the dense
    /// indexes) with text, popularity and histories from <paramref name="dataset"/>. Data-set items the model does
    /// not know are left out; model items the data set lacks have no text and no interactions.
    /// </summary>
    public static ItemCatalogue Build(RatingsDataset dataset, IdMap modelItems, int historyLimitPerUser)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(historyLimitPerUser);
        var toModel = new int[dataset.ItemCount];
        for (var i = 0; i < dataset.ItemCount; i++)
        {
            toModel[i] = modelItems.TryGetIndex(dataset.Items.GetExternalId(i), out var m) ? m : -1;
        }

        var info = new ItemInfo?[modelItems.Count];
        foreach (var (datasetIndex, itemInfo) in dataset.ItemInfo)
        {
            if (toModel[datasetIndex] >= 0) info[toModel[datasetIndex]] = itemInfo;
        }

        var counts = new int[modelItems.Count];
        var seenPairs = new HashSet<(int User, int Item)>();
        var perUser = new List<Interaction>?[dataset.UserCount];
        foreach (var x in dataset.Interactions)
        {
            var item = toModel[x.Item];
            if (item < 0) continue;
            if (seenPairs.Add((x.User, item))) counts[item]++;
            (perUser[x.User] ??= []).Add(x);
        }

        var history = new Dictionary<string, RecentInteraction[]>(StringComparer.Ordinal);
        if (historyLimitPerUser > 0)
        {
            for (var u = 0; u < perUser.Length; u++)
            {
                if (perUser[u] is not { } list) continue;
                history[dataset.Users.GetExternalId(u)] = list
                    .OrderBy(x => x.Timestamp)
                    .TakeLast(historyLimitPerUser)
                    .Select(x => new RecentInteraction
                    {
                        ItemId = dataset.Items.GetExternalId(x.Item),
                        Type = UserEventType.Rating,
                        Value = x.Rating,
                        Timestamp = DateTimeOffset.FromUnixTimeSeconds(x.Timestamp),
                    })
                    .ToArray();
            }
        }
        var activeUsers = perUser.Count(p => p is not null);
        return new ItemCatalogue(dataset.Name, modelItems, info, counts, activeUsers, history);
    }
}
