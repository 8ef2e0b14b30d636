namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// Bad input in a data file, located precisely enough to fix by hand:
/// <c>ratings.csv:17: field 'rating': 'abc' is not a number</c>.
/// Derives from <see cref="FormatException"/> because <see cref="InvalidDataException"/> is sealed.
/// </summary>
public sealed class DataFormatException : FormatException
{
    public DataFormatException(string filePath, int? line, string? field, string problem, Exception? inner = null)
        : base(Format(filePath, line, field, problem), inner)
    {
        FilePath = filePath;
        Line = line;
        Field = field;
        Problem = problem;
    }

    /// <summary>The file as the caller named it.</summary>
    public string FilePath { get; }

    /// <summary>1-based physical line where the bad record starts; null when the problem is the whole file.</summary>
    public int? Line { get; }

    /// <summary>Column name (or "#3" for a nameless column); null when the problem is not one field.</summary>
    public string? Field { get; }

    /// <summary>The message without the location prefix.</summary>
    public string Problem { get; }

    private static string Format(string filePath, int? line, string? field, string problem)
    {
        // The file name alone keeps messages short; FilePath keeps the full path for callers that need it.
        var location = Path.GetFileName(filePath);
        if (location.Length == 0)
        {
            location = filePath;
        }
        if (line is { } l)
        {
            location += $":{l}";
        }
        return field is null ? $"{location}: {problem}" : $"{location}: field '{field}': {problem}";
    }
}
