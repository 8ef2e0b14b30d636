namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// Side text keyed by external id, such as the plot descriptions and the LLM-written user preference profiles
/// published for ml-latest-small (descriptions.csv: movieId,description; preferences.csv: userId,preferences,...).
/// </summary>
public static class ItemTextLoader
{
    /// <summary>Item descriptions by external item id; rows with an empty description are left out.</summary>
    public static IReadOnlyDictionary<string, string> ReadDescriptions(string path) =>
        ReadTextColumn(path, ["movieId", "itemId", "item", "item_id", "movie_id"], ["description", "overview", "plot"]);

    /// <summary>Preference profiles by external user id; rows with empty text are left out.</summary>
    public static IReadOnlyDictionary<string, string> ReadPreferences(string path) =>
        ReadTextColumn(path, ["userId", "user", "user_id"], ["preferences", "preference", "profile"]);

    /// <summary>
    /// A data set whose items carry the given descriptions. Items the data set does not know are ignored; a known
    /// item without text yet gets an entry titled by its external id so the description is not lost.
    /// </summary>
    public static RatingsDataset WithDescriptions(RatingsDataset dataset, IReadOnlyDictionary<string, string> descriptions)
    {
        var info = new Dictionary<int, ItemInfo>(dataset.ItemInfo);
        foreach (var (externalId, description) in descriptions)
        {
            if (!dataset.Items.TryGetIndex(externalId, out var index))
            {
                continue;
            }
            info[index] = info.TryGetValue(index, out var existing)
                ? existing with { Description = description }
                : new ItemInfo(externalId, externalId, null, []) { Description = description };
        }
        return new RatingsDataset(dataset.Name, dataset.Users, dataset.Items, dataset.Interactions, info);
    }

    /// <summary>
    /// TMDB overviews (tmdb_5000_movies.csv: id, overview) as descriptions of the data set's items whose TMDB id
    /// (MovieLens links.csv) they match; items without a match keep what they had. Returns how many items matched.
    /// </summary>
    public static (RatingsDataset Dataset, int Matched) WithTmdbOverviews(RatingsDataset dataset, string path)
    {
        var overviews = ReadTextColumn(path, ["id", "tmdbId"], ["overview"]);
        var info = new Dictionary<int, ItemInfo>(dataset.ItemInfo);
        var matched = 0;
        foreach (var (index, item) in dataset.ItemInfo)
        {
            if (item.TmdbId is { } tmdb && overviews.TryGetValue(tmdb, out var overview))
            {
                info[index] = item with { Description = overview };
                matched++;
            }
        }
        return (new RatingsDataset(dataset.Name, dataset.Users, dataset.Items, dataset.Interactions, info), matched);
    }

    /// <summary>Reads <paramref name="path"/> with <see cref="ReadDescriptions"/> and attaches the result.</summary>
    public static RatingsDataset AttachDescriptions(RatingsDataset dataset, string path) =>
        WithDescriptions(dataset, ReadDescriptions(path));

    private static Dictionary<string, string> ReadTextColumn(string path, string[] idNames, string[] textNames)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        using var reader = CsvReader.Open(path);
        reader.ReadHeader();
        var id = reader.Column(idNames);
        var text = reader.Column(textNames);
        var idName = reader.Header[id];
        var textName = reader.Header[text];
        while (reader.Read())
        {
            var key = reader.Id(id, idName);
            if (!firstLine.TryAdd(key, reader.Line))
            {
                throw reader.Error(idName, $"'{key}' is listed twice (first on line {firstLine[key]})");
            }
            var value = reader.Text(text, textName).Trim();
            if (value.Length > 0)
            {
                result[key] = value;
            }
        }
        return result;
    }
}
