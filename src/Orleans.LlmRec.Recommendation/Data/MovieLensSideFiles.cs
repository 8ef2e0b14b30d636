using System.Text;

namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// The optional MovieLens files beside the ratings and the catalogue: ml-100k's u.genre (the genre flag columns'
/// names), and the CSV releases' tags.csv and links.csv, keyed by the dense item index of <see cref="MovieLensLoader"/>.
/// </summary>
internal static class MovieLensSideFiles
{
    public static string[] ReadGenreList(string path)
    {
        var byIndex = new SortedDictionary<int, string>();
        using var reader = DelimitedLineReader.Open(path, "|", Encoding.Latin1);
        while (reader.Read())
        {
            var name = reader.Text(0, "genre").Trim();
            var index = reader.Int32(1, "index");
            if (index < 0 || !byIndex.TryAdd(index, name))
            {
                throw reader.Error("index", $"{index} is negative or used twice");
            }
        }
        if (byIndex.Count == 0)
        {
            throw new DataFormatException(path, null, null, "file is empty");
        }
        if (byIndex.Keys.Last() != byIndex.Count - 1)
        {
            throw new DataFormatException(path, null, "index", $"genre indexes must run 0..{byIndex.Count - 1} without gaps");
        }
        return byIndex.Values.ToArray();
    }

    public static Dictionary<int, TagCounter> ReadTags(string path, IdMap items)
    {
        var tags = new Dictionary<int, TagCounter>();
        using var reader = CsvReader.Open(path);
        reader.ReadHeader();
        var item = reader.Column("movieId");
        var tag = reader.Column("tag");
        while (reader.Read())
        {
            // Tags on movies outside the catalogue and ratings describe nothing we can recommend.
            if (!items.TryGetIndex(reader.Id(item, "movieId"), out var index))
            {
                continue;
            }
            var text = reader.Text(tag, "tag").Trim();
            if (text.Length == 0)
            {
                continue;
            }
            if (!tags.TryGetValue(index, out var counter))
            {
                tags[index] = counter = new TagCounter();
            }
            counter.Add(text);
        }
        return tags;
    }

    public static Dictionary<int, (string? Imdb, string? Tmdb)> ReadLinks(string path, IdMap items)
    {
        var links = new Dictionary<int, (string?, string?)>();
        using var reader = CsvReader.Open(path);
        reader.ReadHeader();
        var item = reader.Column("movieId");
        var imdb = reader.OptionalColumn("imdbId");
        var tmdb = reader.OptionalColumn("tmdbId");
        while (reader.Read())
        {
            if (items.TryGetIndex(reader.Id(item, "movieId"), out var index))
            {
                links[index] = (OptionalId(reader, imdb, "imdbId"), OptionalId(reader, tmdb, "tmdbId"));
            }
        }
        return links;
    }

    private static string? OptionalId(RecordReader reader, int? column, string name)
    {
        if (column is not { } c || c >= reader.Fields.Count)
        {
            return null;
        }
        var text = reader.Text(c, name).Trim();
        return text.Length > 0 ? text : null;
    }
}
