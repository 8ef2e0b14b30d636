using System.Globalization;

namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>How <see cref="PlainCsvLoader"/> reads a file.</summary>
public sealed record PlainCsvOptions
{
    public char Separator { get; init; } = ',';

    /// <summary>Ratings below this are an error; null accepts any finite number.</summary>
    public float? MinRating { get; init; }

    /// <summary>Ratings above this are an error; null accepts any finite number.</summary>
    public float? MaxRating { get; init; }

    /// <summary>Data set name; defaults to the file name without extension.</summary>
    public string? Name { get; init; }
}

/// <summary>
/// Loads interactions from a plain CSV: <c>user,item[,rating[,timestamp]]</c>.
/// <list type="bullet">
/// <item>Header: the first record is a header when it names both a user column (user/userId/user_id/uid) and an
/// item column (item/itemId/item_id/movieId/...); columns are then found by name, in any order, and others are
/// ignored. Without a header the columns are positional and the first record decides which exist.</item>
/// <item>Rating: when the file has no rating column every event counts as 1 (implicit feedback). When it has one,
/// an empty or non-numeric rating is an error rather than a silent default.</item>
/// <item>Timestamp: Unix seconds, or an ISO 8601 date/time (UTC unless it says otherwise); 0 when the file
/// has no timestamp column.</item>
/// <item>Ids are trimmed of surrounding whitespace and otherwise kept as written.</item>
/// </list>
/// </summary>
public static class PlainCsvLoader
{
    private static readonly string[] UserNames = ["user", "userId", "user_id", "uid"];
    private static readonly string[] ItemNames = ["item", "itemId", "item_id", "movieId", "movie_id", "iid", "productId", "product_id"];
    private static readonly string[] RatingNames = ["rating", "score", "value"];
    private static readonly string[] TimestampNames = ["timestamp", "time", "ts", "date", "datetime"];

    public static RatingsDataset Load(string path, PlainCsvOptions? options = null)
    {
        options ??= new PlainCsvOptions();
        var builder = new DatasetBuilder();
        LoadInto(path, options, builder, knownUsersOnly: false);
        return builder.Build(options.Name ?? Path.GetFileNameWithoutExtension(path));
    }

    /// <summary>
    /// Adds the file's interactions to <paramref name="builder"/>. With <paramref name="knownUsersOnly"/>, users the
    /// builder does not know yet are skipped (checked, not kept); returns how many interactions were skipped that way.
    /// </summary>
    internal static int LoadInto(string path, PlainCsvOptions options, DatasetBuilder builder, bool knownUsersOnly)
    {
        var skipped = 0;
        using (var reader = CsvReader.Open(path, options.Separator))
        {
            if (!reader.Read())
            {
                throw new DataFormatException(path, null, null, "file is empty");
            }

            int user = 0, item = 1;
            int? rating, timestamp;
            string userName = "user", itemName = "item", ratingName = "rating", timestampName = "timestamp";
            var hasHeader = reader.Fields.Any(f => IsOneOf(f, UserNames)) && reader.Fields.Any(f => IsOneOf(f, ItemNames));
            if (hasHeader)
            {
                reader.UseCurrentRecordAsHeader();
                user = reader.Column(UserNames);
                item = reader.Column(ItemNames);
                rating = reader.OptionalColumn(RatingNames);
                timestamp = reader.OptionalColumn(TimestampNames);
                userName = reader.Header[user];
                itemName = reader.Header[item];
                ratingName = rating is { } r ? reader.Header[r] : ratingName;
                timestampName = timestamp is { } t ? reader.Header[t] : timestampName;
                if (!reader.Read())
                {
                    throw new DataFormatException(path, null, null, "contains no ratings (only a header)");
                }
            }
            else
            {
                rating = reader.Fields.Count > 2 ? 2 : null;
                timestamp = reader.Fields.Count > 3 ? 3 : null;
            }

            var min = options.MinRating ?? float.MinValue;
            var max = options.MaxRating ?? float.MaxValue;
            do
            {
                var userId = reader.Id(user, userName);
                var itemId = reader.Id(item, itemName);
                var value = rating is { } r ? reader.Single(r, ratingName, min, max) : 1f;
                var time = timestamp is { } t ? ReadTimestamp(reader, t, timestampName) : 0L;
                if (knownUsersOnly && !builder.Users.TryGetIndex(userId, out _))
                {
                    skipped++;
                    continue;
                }
                builder.AddInteraction(userId, itemId, value, time);
            }
            while (reader.Read());
        }
        return skipped;
    }

    private static long ReadTimestamp(RecordReader reader, int column, string name)
    {
        var text = reader.Text(column, name).Trim();
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
        {
            return reader.UnixSeconds(column, name);
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            return date.ToUnixTimeSeconds();
        }
        throw reader.Error(name, $"'{text}' is neither Unix seconds nor an ISO 8601 date");
    }

    private static bool IsOneOf(string text, string[] names)
    {
        var trimmed = text.Trim();
        return names.Any(n => string.Equals(trimmed, n, StringComparison.OrdinalIgnoreCase));
    }
}
