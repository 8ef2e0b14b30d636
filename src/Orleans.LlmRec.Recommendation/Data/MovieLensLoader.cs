using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// Loads the GroupLens MovieLens releases. Users and items get dense ids in first-seen order of the ratings file;
/// catalogue items never rated follow. External ids are kept as the files spell them ("1", "242").
/// Titles are kept as written (with their "(1995)"); the year is parsed out of them.
/// </summary>
public static partial class MovieLensLoader
{
    /// <summary>The 19 genres of ml-100k in flag-column order, used when u.genre is absent.</summary>
    public static IReadOnlyList<string> Genres100K { get; } =
    [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ];

    /// <summary>
    /// ml-latest-small (and the larger ml-latest, ml-25m, ml-32m with the same layout): ratings.csv and movies.csv
    /// are required; tags.csv and links.csv are used when present. Ratings must lie in [0.5, 5].
    /// </summary>
    public static RatingsDataset LoadLatestSmall(string directory)
    {
        var builder = new DatasetBuilder();
        var ratingsPath = Path.Combine(directory, "ratings.csv");
        using (var reader = CsvReader.Open(ratingsPath))
        {
            reader.ReadHeader();
            var user = reader.Column("userId");
            var item = reader.Column("movieId");
            var rating = reader.Column("rating");
            var timestamp = reader.Column("timestamp");
            while (reader.Read())
            {
                builder.AddInteraction(
                    reader.Id(user, "userId"), reader.Id(item, "movieId"),
                    reader.Single(rating, "rating", 0.5f, 5f), reader.UnixSeconds(timestamp, "timestamp"));
            }
        }
        builder.RequireInteractions(ratingsPath);

        var titles = new Dictionary<int, ItemInfo>();
        var firstLine = new Dictionary<int, int>();
        using (var reader = CsvReader.Open(Path.Combine(directory, "movies.csv")))
        {
            reader.ReadHeader();
            var id = reader.Column("movieId");
            var title = reader.Column("title");
            var genres = reader.Column("genres");
            while (reader.Read())
            {
                var externalId = reader.Id(id, "movieId");
                var index = builder.Items.GetOrAdd(externalId);
                if (!firstLine.TryAdd(index, reader.Line))
                {
                    throw reader.Error("movieId", $"'{externalId}' is listed twice (first on line {firstLine[index]})");
                }
                var text = reader.Text(title, "title").Trim();
                titles[index] = new ItemInfo(externalId, text, ParseYear(text), SplitGenres(reader.Text(genres, "genres")));
            }
        }

        var tagsPath = Path.Combine(directory, "tags.csv");
        var tags = File.Exists(tagsPath) ? MovieLensSideFiles.ReadTags(tagsPath, builder.Items) : [];
        var linksPath = Path.Combine(directory, "links.csv");
        var links = File.Exists(linksPath) ? MovieLensSideFiles.ReadLinks(linksPath, builder.Items) : [];

        foreach (var (index, info) in titles)
        {
            var full = info;
            if (tags.TryGetValue(index, out var itemTags))
            {
                full = full with { Tags = itemTags.Ordered() };
            }
            if (links.TryGetValue(index, out var link))
            {
                full = full with { ImdbId = link.Imdb, TmdbId = link.Tmdb };
            }
            builder.ItemInfo[index] = full;
        }
        return builder.Build(NameOf(directory, "ml-latest-small"));
    }

    /// <summary>ml-100k: u.data (tab-separated, ratings 1–5) and u.item ('|'-separated, Latin-1, 19 genre flags).</summary>
    public static RatingsDataset Load100K(string directory)
    {
        var builder = new DatasetBuilder();
        var ratingsPath = Path.Combine(directory, "u.data");
        using (var reader = DelimitedLineReader.Open(ratingsPath, "\t"))
        {
            while (reader.Read())
            {
                builder.AddInteraction(
                    reader.Id(0, "user id"), reader.Id(1, "item id"),
                    reader.Single(2, "rating", 1f, 5f), reader.UnixSeconds(3, "timestamp"));
            }
        }
        builder.RequireInteractions(ratingsPath);

        var genrePath = Path.Combine(directory, "u.genre");
        var genreNames = File.Exists(genrePath) ? MovieLensSideFiles.ReadGenreList(genrePath) : Genres100K;
        const int FlagStart = 5;
        var firstLine = new Dictionary<int, int>();
        using (var reader = DelimitedLineReader.Open(Path.Combine(directory, "u.item"), "|", Encoding.Latin1))
        {
            while (reader.Read())
            {
                var externalId = reader.Id(0, "movie id");
                var index = builder.Items.GetOrAdd(externalId);
                if (!firstLine.TryAdd(index, reader.Line))
                {
                    throw reader.Error("movie id", $"'{externalId}' is listed twice (first on line {firstLine[index]})");
                }
                var title = reader.Text(1, "movie title").Trim();
                var genres = new List<string>();
                for (var g = 0; g < genreNames.Count; g++)
                {
                    var column = $"genre {genreNames[g]}";
                    var flag = reader.Text(FlagStart + g, column);
                    if (flag == "1")
                    {
                        if (!IsNoGenre(genreNames[g]))
                        {
                            genres.Add(genreNames[g]);
                        }
                    }
                    else if (flag != "0")
                    {
                        throw reader.Error(column, $"'{flag}' is not a 0/1 flag");
                    }
                }
                var year = ParseYear(title) ?? ParseReleaseYear(reader.Text(2, "release date"));
                builder.ItemInfo[index] = new ItemInfo(externalId, title, year, genres);
            }
        }
        return builder.Build(NameOf(directory, "ml-100k"));
    }

    /// <summary>ml-1m: ratings.dat and movies.dat, '::'-separated, Latin-1, ratings 1–5.</summary>
    public static RatingsDataset Load1M(string directory)
    {
        var builder = new DatasetBuilder();
        var ratingsPath = Path.Combine(directory, "ratings.dat");
        using (var reader = DelimitedLineReader.Open(ratingsPath, "::", Encoding.Latin1))
        {
            while (reader.Read())
            {
                builder.AddInteraction(
                    reader.Id(0, "UserID"), reader.Id(1, "MovieID"),
                    reader.Single(2, "Rating", 1f, 5f), reader.UnixSeconds(3, "Timestamp"));
            }
        }
        builder.RequireInteractions(ratingsPath);

        var firstLine = new Dictionary<int, int>();
        using (var reader = DelimitedLineReader.Open(Path.Combine(directory, "movies.dat"), "::", Encoding.Latin1))
        {
            while (reader.Read())
            {
                var externalId = reader.Id(0, "MovieID");
                var index = builder.Items.GetOrAdd(externalId);
                if (!firstLine.TryAdd(index, reader.Line))
                {
                    throw reader.Error("MovieID", $"'{externalId}' is listed twice (first on line {firstLine[index]})");
                }
                var title = reader.Text(1, "Title").Trim();
                builder.ItemInfo[index] = new ItemInfo(externalId, title, ParseYear(title), SplitGenres(reader.Text(2, "Genres")));
            }
        }
        return builder.Build(NameOf(directory, "ml-1m"));
    }

    /// <summary>The year in a trailing "(1995)" or "(2006–2007)"; null when the title has none.</summary>
    public static int? ParseYear(string title)
    {
        var match = TrailingYear().Match(title);
        return match.Success ? int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"\((\d{4})(?:\s*[-–]\s*\d{0,4})?\)\s*$")]
    private static partial Regex TrailingYear();

    // "(no genres listed)" in the CSV releases and "unknown" in ml-100k both mean the genre is not known.
    private static bool IsNoGenre(string genre) =>
        genre.Length == 0 || genre == "(no genres listed)" || genre.Equals("unknown", StringComparison.OrdinalIgnoreCase);

    private static string[] SplitGenres(string text) =>
        text.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Where(g => !IsNoGenre(g)).ToArray();

    private static int? ParseReleaseYear(string text) =>
        DateTime.TryParseExact(text.Trim(), "dd-MMM-yyyy", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date.Year
            : null;

    internal static string NameOf(string directory, string fallback)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
        return string.IsNullOrEmpty(name) ? fallback : name;
    }
}
