using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Orleans.LlmRec.IntegrationTests.Infrastructure;

/// <summary>A small user,item,rating,timestamp CSV of fresh users over a catalogue's items, for <c>llmrec replay</c>.</summary>
public sealed partial class ReplayData : IDisposable
{
    private ReplayData(string folder, string prefix, Dictionary<string, List<(string ItemId, float Rating, long Timestamp)>> byUser)
    {
        Folder = folder;
        Prefix = prefix;
        ByUser = byUser;
    }

    public string Folder { get; }
    public string File => Path.Combine(Folder, "events.csv");
    public string Prefix { get; }
    public IReadOnlyDictionary<string, List<(string ItemId, float Rating, long Timestamp)>> ByUser { get; }
    public int Count => ByUser.Values.Sum(v => v.Count);

    /// <summary>Rows in shuffled order, so only a replay that sorts by time applies a user's events oldest first.</summary>
    public static ReplayData Create(IReadOnlyList<string> items, int users, int perUser)
    {
        var folder = Directory.CreateTempSubdirectory("llmrec-replay-").FullName;
        var prefix = $"rp-{Guid.NewGuid():N}"[..11];
        var random = new Random(11);
        var byUser = new Dictionary<string, List<(string, float, long)>>();
        var rows = new List<string>();
        var start = DateTimeOffset.UtcNow.AddDays(-30).ToUnixTimeSeconds();
        for (var u = 0; u < users; u++)
        {
            var userId = $"{prefix}-{u}";
            var events = byUser[userId] = [];
            for (var i = 0; i < perUser; i++)
            {
                var item = items[(u * 7 + i * 3) % items.Count];
                var rating = 1 + random.Next(9) / 2f;
                var timestamp = start + i * 600 + u;
                events.Add((item, rating, timestamp));
                rows.Add(string.Create(CultureInfo.InvariantCulture, $"{userId},{item},{rating},{timestamp}"));
            }
        }
        var shuffled = rows.OrderBy(_ => random.Next()).ToList();
        System.IO.File.WriteAllText(Path.Combine(folder, "events.csv"), "userId,itemId,rating,timestamp\n" + string.Join('\n', shuffled) + "\n", Encoding.UTF8);
        return new ReplayData(folder, prefix, byUser);
    }

    /// <summary>A figure from replay's summary table, e.g. "accepted" → 300.</summary>
    public static long Figure(string output, string row)
    {
        var matches = Regex.Matches(output, $@"{Regex.Escape(row)}\W+([\d,]+)");
        Assert.True(matches.Count > 0, $"No '{row}' in the replay summary:{Environment.NewLine}{output}");
        return long.Parse(matches[^1].Groups[1].Value.Replace(",", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
