using System.Text;

namespace Orleans.LlmRec.Abstractions;

/// <summary>
/// The one reader of event type names, for HTTP batches and Redis stream entries alike. A type is exactly one of
/// <c>click</c>, <c>view</c>, <c>like</c>, <c>dislike</c>, <c>rating</c>, in any ASCII case (<c>Click</c>,
/// <c>CLICK</c>: the contract has been case-insensitive since the first release). Nothing else is read as a type:
/// not a comma-separated list (<c>Enum.TryParse</c> reads <c>click,view,like</c> as the flags 0|1|2 = <c>dislike</c>),
/// not a number, not surrounding whitespace, and no non-ASCII letter (.NET's ordinal ignore-case folds the dotless
/// <c>ı</c> to <c>I</c>, so <c>clıck</c> would otherwise read as <c>click</c>).
/// </summary>
public static class UserEventTypeNames
{
    /// <summary>The names, for messages.</summary>
    public const string Expected = "click, view, like, dislike or rating";

    public static bool TryParse(string? text, out UserEventType type)
    {
        type = default;
        if (text is null || text.Length is < 4 or > 7) return false;
        foreach (var (name, value) in Names)
        {
            // Ascii.EqualsIgnoreCase is false as soon as either side holds a non-ASCII character.
            if (Ascii.EqualsIgnoreCase(text, name))
            {
                type = value;
                return true;
            }
        }
        return false;
    }

    private static readonly (string Name, UserEventType Type)[] Names =
    [
        ("click", UserEventType.Click),
        ("view", UserEventType.View),
        ("like", UserEventType.Like),
        ("dislike", UserEventType.Dislike),
        ("rating", UserEventType.Rating),
    ];
}
