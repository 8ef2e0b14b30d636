namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// A train/test pair given as two files (a benchmark's published split), read into one set of id maps.
/// <see cref="DataSplit.Test"/> holds only users that have training data: nothing can rank items for the others.
/// </summary>
/// <param name="Dataset">Both files' interactions, train first, with the maps both parts use.</param>
/// <param name="SkippedTestInteractions">Test interactions of users absent from the training file.</param>
public sealed record FixedSplit(RatingsDataset Dataset, DataSplit Split, int SkippedTestInteractions);

/// <summary>Reads a fixed train/test split, each file in the LightGCN/NGCF line format or a plain CSV.</summary>
public static class FixedSplitLoader
{
    /// <summary>"auto" detects each file's format by its content; otherwise "user-items" or "csv" for both.</summary>
    public static IReadOnlyList<string> Formats { get; } = ["auto", UserItemListLoader.FormatName, "csv"];

    /// <exception cref="DataFormatException">A file is missing, empty or malformed (file, line and field named).</exception>
    public static FixedSplit Load(string trainPath, string testPath, string format = "auto")
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(trainPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(testPath);
        var builder = new DatasetBuilder();
        LoadInto(trainPath, format, builder, knownUsersOnly: false);
        var trainCount = builder.InteractionCount;
        if (trainCount == 0) throw new DataFormatException(trainPath, null, null, "contains no interactions");
        var skipped = LoadInto(testPath, format, builder, knownUsersOnly: true);
        var dataset = builder.Build(NameOf(trainPath));
        var all = dataset.Interactions;
        var split = new DataSplit(all[..trainCount], all[trainCount..]);
        if (split.Test.Length == 0)
        {
            throw new DataFormatException(testPath, null, null, "contains no interactions of users in the training file");
        }
        return new FixedSplit(dataset, split, skipped);
    }

    private static int LoadInto(string path, string format, DatasetBuilder builder, bool knownUsersOnly)
    {
        var chosen = format.Trim().ToLowerInvariant();
        if (chosen == "auto") chosen = DatasetLoader.DetectFileFormat(path);
        return chosen switch
        {
            UserItemListLoader.FormatName => UserItemListLoader.LoadInto(path, builder, knownUsersOnly),
            "csv" => PlainCsvLoader.LoadInto(path, new PlainCsvOptions(), builder, knownUsersOnly),
            _ => throw new ArgumentException($"Unknown split format '{format}'; expected one of: {string.Join(", ", Formats)}.", nameof(format)),
        };
    }

    /// <summary>"gowalla" for gowalla/train.txt, "ratings-train" for ratings-train.csv.</summary>
    private static string NameOf(string trainPath)
    {
        var full = Path.GetFullPath(trainPath);
        var stem = Path.GetFileNameWithoutExtension(full);
        var folder = Path.GetFileName(Path.GetDirectoryName(full));
        return stem.Equals("train", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(folder) ? folder : stem;
    }
}
