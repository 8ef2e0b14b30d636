namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>Loads a data set by format name, the entry point for command lines and configuration.</summary>
public static class DatasetLoader
{
    /// <summary>
    /// "auto" (see <see cref="Detect"/>), "movielens" (detect the release from the files in the folder),
    /// "ml-latest-small", "ml-100k", "ml-1m", "csv", "user-items" (LightGCN's train.txt line format).
    /// </summary>
    public static IReadOnlyList<string> Formats { get; } = ["auto", "movielens", "ml-latest-small", "ml-100k", "ml-1m", "csv", UserItemListLoader.FormatName];

    /// <summary>Loads <paramref name="path"/> (a folder, or for MovieLens formats any file inside it).</summary>
    /// <exception cref="DataFormatException">The path is missing or a file in it is malformed.</exception>
    /// <exception cref="ArgumentException">The format is not one of <see cref="Formats"/>.</exception>
    public static RatingsDataset Load(string path, string format = "auto")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var isFile = File.Exists(path);
        if (!isFile && !Directory.Exists(path))
        {
            throw new DataFormatException(path, null, null, $"no such file or folder: {Path.GetFullPath(path)}");
        }
        var folder = isFile ? Path.GetDirectoryName(Path.GetFullPath(path))! : path;

        switch (format.Trim().ToLowerInvariant())
        {
            case "auto":
                return Load(path, Detect(path));
            case "movielens":
                return LoadMovieLens(folder);
            case "ml-latest-small" or "ml-latest":
                return MovieLensLoader.LoadLatestSmall(folder);
            case "ml-100k":
                return MovieLensLoader.Load100K(folder);
            case "ml-1m":
                return MovieLensLoader.Load1M(folder);
            case UserItemListLoader.FormatName:
                return isFile
                    ? UserItemListLoader.Load(path)
                    : throw new DataFormatException(path, null, null, $"format '{UserItemListLoader.FormatName}' needs a file such as train.txt: {Path.GetFullPath(path)}");
            case "csv":
                if (isFile)
                {
                    return PlainCsvLoader.Load(path);
                }
                var ratings = Path.Combine(path, "ratings.csv");
                return File.Exists(ratings)
                    ? PlainCsvLoader.Load(ratings, new PlainCsvOptions { Name = MovieLensLoader.NameOf(path, "ratings") })
                    : throw new DataFormatException(path, null, null, $"format 'csv' needs a file, or a folder holding ratings.csv: {Path.GetFullPath(path)}");
            default:
                throw new ArgumentException($"Unknown data format '{format}'; expected one of: {string.Join(", ", Formats)}.", nameof(format));
        }
    }

    /// <summary>
    /// The format of <paramref name="path"/> by what it is: a MovieLens folder (or a MovieLens ratings file in one) is
    /// its release; another folder holding ratings.csv is "csv"; a file is "user-items" when its first line is integer
    /// ids separated by blanks, else "csv".
    /// </summary>
    /// <exception cref="DataFormatException">The path is missing, or a folder holds no data file this loader knows.</exception>
    public static string Detect(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (File.Exists(path))
        {
            return IsMovieLensRatingsFile(path)
                ? DetectMovieLens(Path.GetDirectoryName(Path.GetFullPath(path))!)!
                : DetectFileFormat(path);
        }
        if (!Directory.Exists(path))
        {
            throw new DataFormatException(path, null, null, $"no such file or folder: {Path.GetFullPath(path)}");
        }
        if (DetectMovieLens(path) is { } release) return release;
        if (File.Exists(Path.Combine(path, "ratings.csv"))) return "csv";
        var hint = File.Exists(Path.Combine(path, "train.txt"))
            ? " (a train.txt/test.txt pair: give 'llmrec eval --train FILE --test FILE', or one file as --data)"
            : "";
        throw new DataFormatException(path, null, null,
            $"cannot tell the data format of the folder{hint}: looked for ratings.csv + movies.csv (ml-latest-small), u.data (ml-100k), " +
            $"ratings.dat (ml-1m), ratings.csv (csv) in {Path.GetFullPath(path)}");
    }

    /// <summary>A single data file's format by its content: "user-items" (LightGCN's train.txt) or "csv".</summary>
    public static string DetectFileFormat(string path) =>
        UserItemListLoader.LooksLikeUserItemList(path) ? UserItemListLoader.FormatName : "csv";

    /// <summary>Which MovieLens release a folder holds, by its ratings file; null when none matches.</summary>
    public static string? DetectMovieLens(string folder)
    {
        if (File.Exists(Path.Combine(folder, "ratings.csv")) && File.Exists(Path.Combine(folder, "movies.csv")))
        {
            return "ml-latest-small";
        }
        if (File.Exists(Path.Combine(folder, "u.data")))
        {
            return "ml-100k";
        }
        if (File.Exists(Path.Combine(folder, "ratings.dat")))
        {
            return "ml-1m";
        }
        return null;
    }

    private static RatingsDataset LoadMovieLens(string folder) => DetectMovieLens(folder) switch
    {
        "ml-latest-small" => MovieLensLoader.LoadLatestSmall(folder),
        "ml-100k" => MovieLensLoader.Load100K(folder),
        "ml-1m" => MovieLensLoader.Load1M(folder),
        _ => throw new DataFormatException(folder, null, null,
            $"not a MovieLens folder: looked for ratings.csv + movies.csv (ml-latest-small), u.data + u.item (ml-100k), " +
            $"ratings.dat + movies.dat (ml-1m) in {Path.GetFullPath(folder)}"),
    };

    private static bool IsMovieLensRatingsFile(string path)
    {
        var name = Path.GetFileName(path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return name is "u.data" or "ratings.dat"
            || (name == "ratings.csv" && File.Exists(Path.Combine(folder, "movies.csv")));
    }
}
