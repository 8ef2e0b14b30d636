using System.Globalization;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>The few <c>--name value</c> options of the latency, bandwidth and profile modes.</summary>
internal static class Arguments
{
    public static int Int(string[] args, string name, int fallback) =>
        Value(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    public static int[] IntList(string[] args, string name, int[] fallback) =>
        Value(args, name) is { } text
            ? [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture))]
            : fallback;

    /// <summary>The value after <paramref name="name"/>, or null when the option is not given.</summary>
    public static string? Text(string[] args, string name) => Value(args, name);

    private static string? Value(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        if (index < 0) return null;
        if (index + 1 >= args.Length) throw new ArgumentException($"{name} needs a value.");
        return args[index + 1];
    }
}
