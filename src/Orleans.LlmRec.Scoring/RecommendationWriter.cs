using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Orleans.LlmRec.Scoring;

/// <summary>The file layouts of top-K lists: one CSV row per recommended item, or one JSON object per user.</summary>
public enum RecommendationFormat
{
    /// <summary><c>user,rank,item,score</c> with a header; rank is 1-based.</summary>
    Csv,

    /// <summary>One line per user: <c>{"user":"1","items":["7","3"],"scores":[2.5,1.25]}</c>.</summary>
    JsonLines,
}

/// <summary>
/// Writes top-K lists under external ids. <c>llmrec recommend</c> writes files with it and <c>llmrec score</c> its
/// standard output, so one user's list reads the same from either.
/// </summary>
public sealed class RecommendationWriter : IDisposable
{
    private readonly TextWriter _writer;
    private readonly RecommendationFormat _format;
    private readonly bool _ownsWriter;

    public RecommendationWriter(TextWriter writer, RecommendationFormat format, bool ownsWriter = false)
    {
        _writer = writer;
        _format = format;
        _ownsWriter = ownsWriter;
        if (format == RecommendationFormat.Csv) _writer.Write("user,rank,item,score\n");
    }

    /// <summary>Creates (or replaces) <paramref name="path"/>, its format chosen by the extension.</summary>
    public static RecommendationWriter Create(string path)
    {
        var format = FormatOf(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var stream = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 16);
        return new RecommendationWriter(stream, format, ownsWriter: true);
    }

    /// <summary>.csv is <see cref="RecommendationFormat.Csv"/>; .jsonl, .ndjson and .json are JSON lines.</summary>
    /// <exception cref="ArgumentException">Any other extension.</exception>
    public static RecommendationFormat FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".csv" => RecommendationFormat.Csv,
        ".jsonl" or ".ndjson" or ".json" => RecommendationFormat.JsonLines,
        _ => throw new ArgumentException($"'{path}': write top-K lists to a .csv or a .jsonl file.", nameof(path)),
    };

    public void Write(string user, IReadOnlyList<ScoredItem> items, Func<int, string> itemId)
    {
        if (_format == RecommendationFormat.Csv)
        {
            var quotedUser = Csv(user);
            for (var r = 0; r < items.Count; r++)
            {
                _writer.Write(quotedUser);
                _writer.Write(',');
                _writer.Write((r + 1).ToString(CultureInfo.InvariantCulture));
                _writer.Write(',');
                _writer.Write(Csv(itemId(items[r].Item)));
                _writer.Write(',');
                _writer.Write(items[r].Score.ToString("R", CultureInfo.InvariantCulture));
                _writer.Write('\n');
            }
            return;
        }
        _writer.Write("{\"user\":");
        _writer.Write(JsonSerializer.Serialize(user));
        _writer.Write(",\"items\":[");
        for (var r = 0; r < items.Count; r++)
        {
            if (r > 0) _writer.Write(',');
            _writer.Write(JsonSerializer.Serialize(itemId(items[r].Item)));
        }
        _writer.Write("],\"scores\":[");
        for (var r = 0; r < items.Count; r++)
        {
            if (r > 0) _writer.Write(',');
            _writer.Write(items[r].Score.ToString("R", CultureInfo.InvariantCulture));
        }
        _writer.Write("]}\n");
    }

    public void Dispose()
    {
        _writer.Flush();
        if (_ownsWriter) _writer.Dispose();
    }

    // RFC 4180: quote a field holding a separator, a quote or a line break, doubling its quotes.
    private static string Csv(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") < 0 ? field : "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
