namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// Case-insensitive tag counts. The first spelling seen is kept; the most used tags come first so that a
/// prompt that shows only a few tags shows the ones most users agreed on.
/// </summary>
internal sealed class TagCounter
{
    private readonly Dictionary<string, (string Spelling, int Count, int Order)> _byKey = new(StringComparer.OrdinalIgnoreCase);

    public void Add(string tag)
    {
        _byKey[tag] = _byKey.TryGetValue(tag, out var seen)
            ? seen with { Count = seen.Count + 1 }
            : (tag, 1, _byKey.Count);
    }

    public string[] Ordered() =>
        _byKey.Values.OrderByDescending(t => t.Count).ThenBy(t => t.Order).Select(t => t.Spelling).ToArray();
}
