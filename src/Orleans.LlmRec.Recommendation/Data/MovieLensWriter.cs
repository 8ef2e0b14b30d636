using System.Globalization;
using System.Text;

namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// Writes a data set in the ml-latest-small layout (ratings.csv, movies.csv), so a synthetic catalogue can be read
/// back by the same loader as the real one and fed to every command that takes <c>--data</c>.
/// </summary>
public static class MovieLensWriter
{
    public static void WriteLatestSmallLayout(RatingsDataset dataset, string directory)
    {
        Directory.CreateDirectory(directory);
        var invariant = CultureInfo.InvariantCulture;
        using (var ratings = new StreamWriter(Path.Combine(directory, "ratings.csv"), false, new UTF8Encoding(false)))
        {
            ratings.NewLine = "\n";
            ratings.WriteLine("userId,movieId,rating,timestamp");
            foreach (var x in dataset.Interactions)
            {
                ratings.WriteLine(string.Join(',',
                    Quote(dataset.Users.GetExternalId(x.User)),
                    Quote(dataset.Items.GetExternalId(x.Item)),
                    x.Rating.ToString("0.0##", invariant),
                    x.Timestamp.ToString(invariant)));
            }
        }
        using (var movies = new StreamWriter(Path.Combine(directory, "movies.csv"), false, new UTF8Encoding(false)))
        {
            movies.NewLine = "\n";
            movies.WriteLine("movieId,title,genres");
            for (var item = 0; item < dataset.ItemCount; item++)
            {
                var id = dataset.Items.GetExternalId(item);
                if (!dataset.ItemInfo.TryGetValue(item, out var info)) continue;
                var title = info.Year is { } year && !info.Title.EndsWith($"({year})", StringComparison.Ordinal) ? $"{info.Title} ({year})" : info.Title;
                var genres = info.Genres.Count == 0 ? "(no genres listed)" : string.Join('|', info.Genres);
                movies.WriteLine(string.Join(',', Quote(id), Quote(title), Quote(genres)));
            }
        }
        if (dataset.ItemInfo.Values.Any(i => i.Description is not null)) WriteDescriptions(dataset, directory);
    }

    /// <summary>descriptions.csv (movieId,description), the layout of ml-latest-small-llm that <see cref="ItemTextLoader"/> reads.</summary>
    private static void WriteDescriptions(RatingsDataset dataset, string directory)
    {
        using var descriptions = new StreamWriter(Path.Combine(directory, "descriptions.csv"), false, new UTF8Encoding(false));
        descriptions.NewLine = "\n";
        descriptions.WriteLine("movieId,description");
        for (var item = 0; item < dataset.ItemCount; item++)
        {
            if (dataset.ItemInfo.TryGetValue(item, out var info) && info.Description is { } text)
            {
                descriptions.WriteLine(string.Join(',', Quote(dataset.Items.GetExternalId(item)), Quote(text)));
            }
        }
    }

    // RFC 4180: quote a field holding a comma, a quote or a line break, doubling inner quotes.
    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : field;
}
