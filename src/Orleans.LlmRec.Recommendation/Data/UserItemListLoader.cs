using System.Globalization;

namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// Loads the line format of the LightGCN and NGCF repositories (<c>train.txt</c>, <c>test.txt</c>): one line per user,
/// the user id followed by the ids of the items they interacted with, separated by spaces or tabs. Ids are
/// non-negative integers, as those repositories write them; a line with a user id alone means no interactions. Every
/// interaction counts as 1 and has no timestamp (0).
/// </summary>
public static class UserItemListLoader
{
    /// <summary>The format's name in <see cref="DatasetLoader.Formats"/>.</summary>
    public const string FormatName = "user-items";

    private static readonly char[] Separators = [' ', '\t'];

    public static RatingsDataset Load(string path, string? name = null)
    {
        var builder = new DatasetBuilder();
        LoadInto(path, builder, knownUsersOnly: false);
        builder.RequireInteractions(path);
        return builder.Build(name ?? Path.GetFileNameWithoutExtension(path));
    }

    /// <summary>
    /// Adds the file's interactions to <paramref name="builder"/>. With <paramref name="knownUsersOnly"/>, users the
    /// builder does not know yet are skipped (a test file's users without training data cannot be ranked); returns
    /// how many interactions were skipped that way.
    /// </summary>
    internal static int LoadInto(string path, DatasetBuilder builder, bool knownUsersOnly)
    {
        var skipped = 0;
        var line = 0;
        foreach (var text in ReadLines(path))
        {
            line++;
            var fields = text.Split(Separators, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0) continue;
            var user = Id(path, line, "user", fields[0]);
            if (knownUsersOnly && !builder.Users.TryGetIndex(user, out _))
            {
                for (var f = 1; f < fields.Length; f++) Id(path, line, $"item {f}", fields[f]);
                skipped += fields.Length - 1;
                continue;
            }
            for (var f = 1; f < fields.Length; f++)
            {
                builder.AddInteraction(user, Id(path, line, $"item {f}", fields[f]), 1f, 0L);
            }
        }
        if (line == 0) throw new DataFormatException(path, null, null, "file is empty");
        return skipped;
    }

    /// <summary>Whether a file's first non-blank line reads as this format: integers separated by blanks, no comma.</summary>
    public static bool LooksLikeUserItemList(string path)
    {
        foreach (var text in ReadLines(path).Take(100))
        {
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (text.Contains(',')) return false;
            return text.Split(Separators, StringSplitOptions.RemoveEmptyEntries).All(IsId);
        }
        return false;
    }

    private static IEnumerable<string> ReadLines(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, null, null, $"no such file: {Path.GetFullPath(path)}");
        return File.ReadLines(path);
    }

    private static bool IsId(string field) => long.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out _);

    private static string Id(string path, int line, string field, string text) =>
        IsId(text)
            ? text
            : throw new DataFormatException(path, line, field, $"'{Shorten(text)}' is not an id (a non-negative integer, as in LightGCN's train.txt)");

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
