using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Llm.Offline.Augmentation;

/// <summary>
/// Builds what <see cref="GraphAugmenter"/> asks about, from a data set and a base model trained on it: per user, their
/// history (highest rated first, then latest) and the model's top candidates among items they have not rated, with the
/// side text (profiles, item descriptions) the prompts show.
/// </summary>
public static class AugmentationInputs
{
    /// <param name="users">Dense user indexes to build for, in the order wanted.</param>
    /// <param name="profiles">Profiles by external user id.</param>
    /// <param name="itemTexts">Item descriptions by external item id (they replace what the data set had).</param>
    public static IReadOnlyList<AugmentationUser> Build(
        RatingsDataset dataset,
        EmbeddingModel model,
        IEnumerable<int> users,
        int candidates,
        int historyItems,
        IReadOnlyDictionary<string, string>? profiles = null,
        IReadOnlyDictionary<string, string>? itemTexts = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentOutOfRangeException.ThrowIfLessThan(candidates, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(historyItems);
        if (model.UserCount != dataset.UserCount || model.ItemCount != dataset.ItemCount)
        {
            throw new ArgumentException($"The model ({model.UserCount} users, {model.ItemCount} items) was not trained on this data set ({dataset.UserCount} users, {dataset.ItemCount} items).", nameof(model));
        }
        var matrix = dataset.ToMatrix();
        var byUser = dataset.Interactions.ToLookup(x => x.User);
        var scores = new float[dataset.ItemCount];
        var top = new int[candidates];
        var result = new List<AugmentationUser>();
        foreach (var user in users)
        {
            model.ScoreAll(user, scores);
            PaperHitRate.ExcludeUnrankable(scores, user, matrix);
            var count = TopK.Select(scores, candidates, top);
            var history = History(dataset, byUser[user], historyItems, null);
            var externalId = dataset.Users.GetExternalId(user);
            result.Add(new AugmentationUser(externalId, history, [.. top.Take(count).Select(i => Item(dataset, i, itemTexts))])
            {
                Profile = profiles is not null && profiles.TryGetValue(externalId, out var profile) ? profile : null,
            });
        }
        return result;
    }

    /// <summary>
    /// Dense triples for the trainers from a triples file's external ids; triples naming a user or item the data set
    /// does not know are counted and left out.
    /// </summary>
    public static (BprTriple[] Triples, int Unknown) ToDense(RatingsDataset dataset, IEnumerable<AugmentedTriple> triples)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(triples);
        var dense = new List<BprTriple>();
        var unknown = 0;
        foreach (var t in triples)
        {
            if (dataset.Users.TryGetIndex(t.UserId, out var u) && dataset.Items.TryGetIndex(t.PositiveItemId, out var p) && dataset.Items.TryGetIndex(t.NegativeItemId, out var n))
            {
                dense.Add(new BprTriple(u, p, n));
            }
            else
            {
                unknown++;
            }
        }
        return ([.. dense], unknown);
    }

    /// <summary>
    /// The items <paramref name="users"/>' prompts show (history and candidates), once each, that have no attributes
    /// yet, with their imported description where there is one: what <see cref="SideTextAugmenter.DescribeAllItemsAsync"/> is given.
    /// </summary>
    /// <param name="haveAttributes">Item attributes already written, by external item id.</param>
    /// <param name="descriptions">Imported item descriptions by external item id.</param>
    public static ItemInfo[] ItemsToDescribe(
        IEnumerable<AugmentationUser> users, IReadOnlyDictionary<string, string> haveAttributes, IReadOnlyDictionary<string, string> descriptions)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(haveAttributes);
        ArgumentNullException.ThrowIfNull(descriptions);
        return [.. users
            .SelectMany(u => u.History.Concat(u.Candidates))
            .DistinctBy(i => i.ExternalId)
            .Where(i => !haveAttributes.ContainsKey(i.ExternalId))
            .Select(i => descriptions.TryGetValue(i.ExternalId, out var text) ? i with { Description = text } : i)];
    }

    /// <summary>
    /// The users among <paramref name="users"/> without a profile in <paramref name="existing"/>, each with their history
    /// (highest rated first, then latest) and each item's side text: what <see cref="SideTextAugmenter.ProfileUsersAsync"/> is given.
    /// </summary>
    /// <param name="itemTexts">Item side text by external item id (it replaces the data set's description).</param>
    public static IEnumerable<ProfileSubject> ProfileSubjects(
        RatingsDataset dataset, IEnumerable<int> users, int historyItems, IReadOnlyDictionary<string, string> existing, IReadOnlyDictionary<string, string> itemTexts)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(existing);
        var byUser = dataset.Interactions.ToLookup(x => x.User);
        return users
            .Select(u => (Id: dataset.Users.GetExternalId(u), User: u))
            .Where(u => !existing.ContainsKey(u.Id))
            .Select(u => new ProfileSubject(u.Id, History(dataset, byUser[u.User], historyItems, itemTexts)));
    }

    // What the prompts show of a user's past: highest rated first, then latest.
    private static ItemInfo[] History(RatingsDataset dataset, IEnumerable<Interaction> interactions, int count, IReadOnlyDictionary<string, string>? itemTexts) =>
        [.. interactions
            .OrderByDescending(x => x.Rating).ThenByDescending(x => x.Timestamp).ThenBy(x => x.Item)
            .Take(count)
            .Select(x => Item(dataset, x.Item, itemTexts))];

    private static ItemInfo Item(RatingsDataset dataset, int index, IReadOnlyDictionary<string, string>? itemTexts)
    {
        var externalId = dataset.Items.GetExternalId(index);
        var info = dataset.ItemInfo.TryGetValue(index, out var known) ? known : new ItemInfo(externalId, externalId, null, []);
        return itemTexts is not null && itemTexts.TryGetValue(externalId, out var text) ? info with { Description = text } : info;
    }
}
