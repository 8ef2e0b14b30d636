using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.ColdStart;

/// <summary>
/// A "new items" split: a share of the items that have interactions and text is drawn at random (seeded) and all
/// their interactions are removed from training, as if they had been published after the model was trained. The test
/// part is those items' interactions by users the model still knows (at least one training interaction).
/// </summary>
public sealed class ColdStartSplit
{
    private ColdStartSplit(int[] newItems, Interaction[] train, Interaction[] test)
    {
        NewItems = newItems;
        Train = train;
        Test = test;
    }

    /// <summary>The held-out items, dense indexes of the data set, ascending.</summary>
    public int[] NewItems { get; }
    public Interaction[] Train { get; }
    public Interaction[] Test { get; }

    public static ColdStartSplit Create(RatingsDataset dataset, double newItemShare, int seed)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (!(newItemShare is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(newItemShare), newItemShare, "Must lie in (0, 1).");
        var rated = new bool[dataset.ItemCount];
        foreach (var x in dataset.Interactions) rated[x.Item] = true;
        var eligible = Enumerable.Range(0, dataset.ItemCount).Where(i => rated[i] && dataset.ItemInfo.ContainsKey(i)).ToArray();
        var count = (int)Math.Round(eligible.Length * newItemShare);
        if (count < 1 || count >= eligible.Length)
        {
            throw new ArgumentException($"{newItemShare:P0} of the {eligible.Length} items with interactions and text leaves no new items or no trained ones.", nameof(newItemShare));
        }
        // Partial Fisher–Yates on a fixed generator: the same items for the same seed on every runtime.
        var random = SplitMixRandom.ForStream(seed, 0xC01D);
        for (var k = 0; k < count; k++)
        {
            var j = k + random.NextInt(eligible.Length - k);
            (eligible[k], eligible[j]) = (eligible[j], eligible[k]);
        }
        var newItems = eligible[..count].Order().ToArray();
        var isNew = new bool[dataset.ItemCount];
        foreach (var i in newItems) isNew[i] = true;
        var train = dataset.Interactions.Where(x => !isNew[x.Item]).ToArray();
        var known = new bool[dataset.UserCount];
        foreach (var x in train) known[x.User] = true;
        var test = dataset.Interactions.Where(x => isNew[x.Item] && known[x.User]).ToArray();
        return new ColdStartSplit(newItems, train, test);
    }
}
