using System.Globalization;
using System.Text;

namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// Reads a text data file record by record and turns each field into a typed value, reporting any problem as a
/// <see cref="DataFormatException"/> that names the file, the record's first physical line and the column.
/// </summary>
public abstract class RecordReader : IDisposable
{
    private readonly List<string> _fields = [];
    private IReadOnlyList<string> _header = [];

    protected RecordReader(TextReader reader, string filePath)
    {
        Reader = reader;
        FilePath = filePath;
    }

    public string FilePath { get; }

    /// <summary>1-based physical line on which the current record starts (a quoted field may span more).</summary>
    public int Line { get; protected set; }

    /// <summary>The current record's fields.</summary>
    public IReadOnlyList<string> Fields => _fields;

    /// <summary>Column names from <see cref="ReadHeader"/>; empty when the file has no header.</summary>
    public IReadOnlyList<string> Header => _header;

    /// <summary>How the separator reads in an error message: "','", "tab", "'::'".</summary>
    protected abstract string SeparatorDescription { get; }

    protected TextReader Reader { get; }

    protected List<string> FieldBuffer => _fields;

    /// <summary>Moves to the next non-blank record; false at the end of the file.</summary>
    public abstract bool Read();

    /// <summary>Reads the first record as column names; a file without even that is empty, which is an error.</summary>
    public void ReadHeader()
    {
        if (!Read())
        {
            throw new DataFormatException(FilePath, null, null, "file is empty (expected a header line)");
        }
        _header = _fields.ToArray();
    }

    /// <summary>Treats the current record (already read) as the header.</summary>
    public void UseCurrentRecordAsHeader() => _header = _fields.ToArray();

    /// <summary>Index of the first header column whose name matches one of <paramref name="names"/> (case-insensitive).</summary>
    public int Column(params string[] names)
    {
        if (OptionalColumn(names) is { } index)
        {
            return index;
        }
        var hint = _header.Count == 1 ? $"; is the separator {SeparatorDescription}?" : "";
        throw new DataFormatException(FilePath, Line, names[0], $"header has no such column (columns: {string.Join(", ", _header)}{hint})");
    }

    public int? OptionalColumn(params string[] names)
    {
        foreach (var name in names)
        {
            for (var i = 0; i < _header.Count; i++)
            {
                if (string.Equals(_header[i].Trim(), name, StringComparison.OrdinalIgnoreCase))
                {
                    return i;
                }
            }
        }
        return null;
    }

    /// <summary>The field's text as written, possibly empty; an absent field is an error.</summary>
    public string Text(int index, string name)
    {
        if (index < _fields.Count)
        {
            return _fields[index];
        }
        var hint = _fields.Count == 1 ? $"; is the separator {SeparatorDescription}?" : "";
        throw Error(name, $"missing (the record has {_fields.Count} field{(_fields.Count == 1 ? "" : "s")} separated by {SeparatorDescription}, this is field {index + 1}{hint})");
    }

    /// <summary>An identifier: surrounding whitespace is never meaningful in these files, emptiness is an error.</summary>
    public string Id(int index, string name)
    {
        var text = Text(index, name).Trim();
        return text.Length > 0 ? text : throw Error(name, "is empty");
    }

    public int Int32(int index, string name)
    {
        var text = Text(index, name);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Error(name, $"{Quote(text)} is not an integer");
    }

    public long Int64(int index, string name)
    {
        var text = Text(index, name);
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Error(name, $"{Quote(text)} is not an integer");
    }

    /// <summary>
    /// Whole seconds since the Unix epoch, as MovieLens writes them. Milliseconds (13 digits) or negative values are
    /// refused here, with the file and line, rather than failing later where the time is used.
    /// </summary>
    public long UnixSeconds(int index, string name)
    {
        var seconds = Int64(index, name);
        if (seconds < 0) throw Error(name, $"{seconds} lies before 1970; expected whole Unix seconds");
        if (seconds > MaxUnixSeconds) throw Error(name, $"{seconds} is too large for Unix seconds (milliseconds? divide by 1000)");
        return seconds;
    }

    /// <summary>9999-12-31T23:59:59Z, the last second <see cref="DateTimeOffset"/> holds.</summary>
    public static readonly long MaxUnixSeconds = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    public float Single(int index, string name)
    {
        var text = Text(index, name);
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            throw Error(name, $"{Quote(text)} is not a number");
        }
        return float.IsFinite(value) ? value : throw Error(name, $"{Quote(text)} is not a finite number");
    }

    /// <summary>A number within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public float Single(int index, string name, float min, float max)
    {
        var value = Single(index, name);
        return value >= min && value <= max
            ? value
            : throw Error(name, $"{Quote(Text(index, name))} is out of range [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}]");
    }

    /// <summary>An error located at the current record.</summary>
    public DataFormatException Error(string? field, string problem) => new(FilePath, Line, field, problem);

    /// <summary>Name for a column in messages: the header's name when there is one, else its 1-based position.</summary>
    protected string ColumnName(int index) =>
        index < _header.Count && _header[index].Length > 0 ? _header[index] : $"#{index + 1}";

    public void Dispose()
    {
        Reader.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Opens a file for reading, turning "not there" into a <see cref="DataFormatException"/>.</summary>
    internal static StreamReader OpenText(string path, Encoding encoding)
    {
        try
        {
            return new StreamReader(path, encoding, detectEncodingFromByteOrderMarks: true, new FileStreamOptions { BufferSize = 1 << 16 });
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DataFormatException(path, null, null, $"file not found: {Path.GetFullPath(path)}", e);
        }
    }

    private static string Quote(string text) => text.Length <= 40 ? $"'{text}'" : $"'{text[..40]}…'";
}
