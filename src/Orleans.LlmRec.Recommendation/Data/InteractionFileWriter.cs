using System.Globalization;
using System.Text;

namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>Writes data sets as files the loaders read back: LightGCN's line format and plain CSV.</summary>
public static class InteractionFileWriter
{
    /// <summary>
    /// The LightGCN/NGCF line format (<c>user item item ...</c>, one line per user, users in index order), the layout
    /// of their train.txt and test.txt. Ids are written as the data set's external ids, which that format needs to be
    /// integers (the synthetic generators' are).
    /// </summary>
    public static void WriteUserItemList(string path, RatingsDataset dataset, IEnumerable<Interaction> interactions)
    {
        var byUser = new List<int>?[dataset.UserCount];
        foreach (var x in interactions) (byUser[x.User] ??= []).Add(x.Item);
        using var writer = Create(path);
        var line = new StringBuilder();
        for (var u = 0; u < byUser.Length; u++)
        {
            if (byUser[u] is not { } items) continue;
            line.Clear().Append(dataset.Users.GetExternalId(u));
            foreach (var item in items) line.Append(' ').Append(dataset.Items.GetExternalId(item));
            writer.WriteLine(line);
        }
    }

    /// <summary><c>user,item,rating,timestamp</c> with that header, one row per interaction; ids must not need quoting.</summary>
    public static void WriteCsv(string path, RatingsDataset dataset)
    {
        using var writer = Create(path);
        writer.WriteLine("user,item,rating,timestamp");
        var invariant = CultureInfo.InvariantCulture;
        foreach (var x in dataset.Interactions)
        {
            writer.Write(dataset.Users.GetExternalId(x.User));
            writer.Write(',');
            writer.Write(dataset.Items.GetExternalId(x.Item));
            writer.Write(',');
            writer.Write(x.Rating.ToString("0.0##", invariant));
            writer.Write(',');
            writer.WriteLine(x.Timestamp.ToString(invariant));
        }
    }

    private static StreamWriter Create(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
    }
}
