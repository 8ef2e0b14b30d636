using System.Text;

namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// One record per line, fields split on a fixed separator with no quoting: the older MovieLens formats
/// (u.data with tabs, u.item with '|', the 1M .dat files with '::'). Blank lines are skipped.
/// </summary>
public sealed class DelimitedLineReader : RecordReader
{
    private readonly string _separator;
    private int _lineNumber;

    public DelimitedLineReader(TextReader reader, string filePath, string separator) : base(reader, filePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(separator);
        _separator = separator;
    }

    public static DelimitedLineReader Open(string path, string separator, Encoding? encoding = null) =>
        new(OpenText(path, encoding ?? Encoding.UTF8), path, separator);

    protected override string SeparatorDescription => _separator == "\t" ? "tab" : $"'{_separator}'";

    public override bool Read()
    {
        FieldBuffer.Clear();
        while (Reader.ReadLine() is { } line)
        {
            _lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }
            Line = _lineNumber;
            FieldBuffer.AddRange(line.Split(_separator));
            return true;
        }
        return false;
    }
}
