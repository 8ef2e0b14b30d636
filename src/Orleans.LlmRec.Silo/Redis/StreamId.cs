using System.Globalization;

namespace Orleans.LlmRec.Silo.Redis;

/// <summary>A Redis stream entry id, <c>milliseconds-sequence</c>, ordered as Redis orders them.</summary>
internal readonly record struct StreamId(ulong Milliseconds, ulong Sequence) : IComparable<StreamId>
{
    public bool IsZero => Milliseconds == 0 && Sequence == 0;

    public static StreamId Parse(string? text)
    {
        if (string.IsNullOrEmpty(text)) return default;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        return dash < 0
            ? new(ulong.Parse(text, CultureInfo.InvariantCulture), 0)
            : new(ulong.Parse(text.AsSpan(0, dash), CultureInfo.InvariantCulture), ulong.Parse(text.AsSpan(dash + 1), CultureInfo.InvariantCulture));
    }

    public static StreamId Min(StreamId a, StreamId b) => a.CompareTo(b) <= 0 ? a : b;

    public int CompareTo(StreamId other) =>
        Milliseconds != other.Milliseconds ? Milliseconds.CompareTo(other.Milliseconds) : Sequence.CompareTo(other.Sequence);

    public override string ToString() => $"{Milliseconds.ToString(CultureInfo.InvariantCulture)}-{Sequence.ToString(CultureInfo.InvariantCulture)}";
}
