using System.Text;
using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.ColdStart;

/// <summary>
/// The one sentence a text encoder reads for an item: <c>Title. Tags: a, b. Description</c>. Training (fitting the
/// text map) and serving (placing a published item) must compose it the same way, or the map is fitted on one kind of
/// text and applied to another: both call <see cref="Compose"/>, and the map file records <see cref="Recipe"/>.
/// </summary>
public static class ItemText
{
    /// <summary>Names this composition; bump it when <see cref="Compose"/> changes, so old maps are refused.</summary>
    public const string Recipe = "title.tags.text/1";

    public static string Compose(string title, IReadOnlyList<string> tags, string? text)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(tags);
        var sentence = new StringBuilder(title.Trim());
        var named = tags.Where(t => !string.IsNullOrWhiteSpace(t) && t != "(no genres listed)").Select(t => t.Trim()).ToList();
        if (named.Count > 0) sentence.Append(". Tags: ").AppendJoin(", ", named);
        if (!string.IsNullOrWhiteSpace(text)) sentence.Append(". ").Append(text.Trim());
        return sentence.ToString();
    }

    /// <summary>
    /// An item of a data set as a publisher would describe it: title (with year), genres as tags, and its description
    /// when it has one. User-written tags (tags.csv) are left out: they come from users who already watched the item,
    /// which a new item has none of.
    /// </summary>
    public static string Of(ItemInfo item, bool withDescription = true)
    {
        ArgumentNullException.ThrowIfNull(item);
        return Compose(item.Title, item.Genres, withDescription ? item.Description : null);
    }
}
