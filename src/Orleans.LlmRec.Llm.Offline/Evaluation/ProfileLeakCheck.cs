using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Llm.Offline.Evaluation;

/// <summary>
/// The published ml-latest-small profiles (arXiv 2507.07251) were written once, from all of each user's ratings: their
/// script hands the LLM the user's ten highest-rated movies (pandas <c>nlargest(10, "rating")</c>, ties kept in file
/// order). A held-out item among those ten was described to the profile writer, so a profile-vs-description match can
/// find it by leakage rather than by taste. This reconstructs each user's ten "source" items so an evaluation can leave
/// them out of the relevant set, for the base model and the re-ranked one alike.
/// </summary>
public static class ProfileLeakCheck
{
    public const int PaperSourceItems = 10;

    /// <summary>(user, item) pairs that were among the user's <paramref name="count"/> highest-rated, ties in the order given.</summary>
    public static HashSet<(int User, int Item)> SourceItems(IReadOnlyList<Interaction> all, int count = PaperSourceItems)
    {
        ArgumentNullException.ThrowIfNull(all);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var sources = new HashSet<(int, int)>();
        // OrderByDescending is stable: equal ratings keep the file order, as pandas' nlargest(keep="first") does.
        foreach (var group in all.GroupBy(x => x.User))
        {
            foreach (var x in group.OrderByDescending(x => x.Rating).Take(count))
            {
                sources.Add((x.User, x.Item));
            }
        }
        return sources;
    }

    /// <summary>The test interactions whose item was not a source of the user's profile.</summary>
    public static Interaction[] WithoutSources(IEnumerable<Interaction> test, IReadOnlySet<(int User, int Item)> sources) =>
        [.. test.Where(x => !sources.Contains((x.User, x.Item)))];
}
