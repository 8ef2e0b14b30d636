using System.Buffers.Binary;
using System.Text;
using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// One <see cref="InteractionRecord"/> in the stored history (format 2), about 8 bytes for a click on a numeric item
/// id with a de-duplication fingerprint. A flags byte: the event type (bits 0–2), a value (bit 3), a numeric item id
/// (bit 4), a fingerprint (bit 5) and the time unit (bits 6–7: seconds, milliseconds, ticks, ticks with a UTC offset).
/// Then the item id (a varint when it is canonical decimal, else a varint length and UTF-8), the time as a zigzag
/// varint delta from the previous record in that unit (2 bytes of offset minutes for the last unit), the value (one
/// byte of half-steps when exact, else 255 and a 4-byte float), and the fingerprint (4 bytes).
/// </summary>
internal static class HistoryRecordCodec
{
    private const int TypeMask = 0x07;
    private const int HasValue = 0x08;
    private const int NumericItem = 0x10;
    private const int HasFingerprint = 0x20;
    private const int UnitShift = 6;
    private const int Seconds = 0, Milliseconds = 1, Ticks = 2, TicksWithOffset = 3;
    private const byte FloatValue = 255;

    /// <summary>Bytes <see cref="Write"/> may need for <paramref name="record"/>.</summary>
    public static int MaxLength(InteractionRecord record) => 1 + 10 + Encoding.UTF8.GetMaxByteCount(record.ItemId.Length) + 10 + 2 + 5 + 4;

    /// <summary>Writes <paramref name="record"/>, timed relative to <paramref name="previousTicks"/> (UTC ticks); returns the bytes written.</summary>
    public static int Write(Span<byte> span, InteractionRecord record, long previousTicks)
    {
        if ((int)record.Type is < 0 or > TypeMask) throw new ArgumentOutOfRangeException(nameof(record), record.Type, "Event types beyond 7 need a new history format.");
        var delta = record.Timestamp.UtcTicks - previousTicks;
        var offset = (short)record.Timestamp.TotalOffsetMinutes;
        var unit = offset != 0 ? TicksWithOffset
            : delta % TimeSpan.TicksPerSecond == 0 ? Seconds
            : delta % TimeSpan.TicksPerMillisecond == 0 ? Milliseconds
            : Ticks;
        var numeric = TryParseCanonical(record.ItemId, out var number);
        var at = 1;
        if (numeric)
        {
            at += WriteVarint(span[at..], number);
        }
        else
        {
            var length = Encoding.UTF8.GetBytes(record.ItemId, span[(at + 5)..]);
            var prefix = WriteVarint(span[at..], (ulong)length);
            if (prefix < 5) span.Slice(at + 5, length).CopyTo(span[(at + prefix)..]);
            at += prefix + length;
        }
        var units = unit switch { Seconds => delta / TimeSpan.TicksPerSecond, Milliseconds => delta / TimeSpan.TicksPerMillisecond, _ => delta };
        at += WriteVarint(span[at..], (ulong)((units << 1) ^ (units >> 63)));
        if (unit == TicksWithOffset)
        {
            BinaryPrimitives.WriteInt16LittleEndian(span[at..], offset);
            at += 2;
        }
        if (record.Value is { } value)
        {
            var halves = value * 2;
            if (halves is >= 0 and < FloatValue && halves == MathF.Floor(halves) && !float.IsNegative(value))
            {
                span[at++] = (byte)halves;
            }
            else
            {
                span[at++] = FloatValue;
                BinaryPrimitives.WriteSingleLittleEndian(span[at..], value);
                at += 4;
            }
        }
        if (record.EventFingerprint is { } fingerprint)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(span[at..], fingerprint);
            at += 4;
        }
        span[0] = (byte)((int)record.Type | (record.Value.HasValue ? HasValue : 0) | (numeric ? NumericItem : 0)
            | (record.EventFingerprint.HasValue ? HasFingerprint : 0) | (unit << UnitShift));
        return at;
    }

    /// <summary>Reads the record at <paramref name="at"/> (advancing it); <paramref name="previousTicks"/> becomes its UTC ticks.</summary>
    public static InteractionRecord Read(ReadOnlySpan<byte> data, ref int at, ref long previousTicks)
    {
        var flags = data[at++];
        string itemId;
        if ((flags & NumericItem) != 0)
        {
            itemId = ReadVarint(data, ref at).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else
        {
            var length = checked((int)ReadVarint(data, ref at));
            itemId = Encoding.UTF8.GetString(data.Slice(at, length));
            at += length;
        }
        var zigzag = ReadVarint(data, ref at);
        var units = (long)(zigzag >> 1) ^ -(long)(zigzag & 1);
        var unit = flags >> UnitShift;
        var ticks = previousTicks + unit switch { Seconds => units * TimeSpan.TicksPerSecond, Milliseconds => units * TimeSpan.TicksPerMillisecond, _ => units };
        var offset = TimeSpan.Zero;
        if (unit == TicksWithOffset)
        {
            offset = TimeSpan.FromMinutes(BinaryPrimitives.ReadInt16LittleEndian(data[at..]));
            at += 2;
        }
        float? value = null;
        if ((flags & HasValue) != 0)
        {
            var halves = data[at++];
            if (halves == FloatValue)
            {
                value = BinaryPrimitives.ReadSingleLittleEndian(data[at..]);
                at += 4;
            }
            else
            {
                value = halves / 2f;
            }
        }
        uint? fingerprint = null;
        if ((flags & HasFingerprint) != 0)
        {
            fingerprint = BinaryPrimitives.ReadUInt32LittleEndian(data[at..]);
            at += 4;
        }
        previousTicks = ticks;
        return new InteractionRecord
        {
            ItemId = itemId,
            Type = (UserEventType)(flags & TypeMask),
            Value = value,
            Timestamp = new DateTimeOffset(ticks + offset.Ticks, offset),
            EventFingerprint = fingerprint,
        };
    }

    /// <summary>A decimal without sign, leading zeros or other characters, below 2⁶³: it reads back as the same string.</summary>
    private static bool TryParseCanonical(string itemId, out ulong number)
    {
        number = 0;
        if (itemId.Length is 0 or > 18 || (itemId.Length > 1 && itemId[0] == '0')) return false;
        foreach (var c in itemId)
        {
            if (c is < '0' or > '9') return false;
            number = number * 10 + (ulong)(c - '0');
        }
        return true;
    }

    public static int WriteVarint(Span<byte> span, ulong value)
    {
        var at = 0;
        while (value >= 0x80)
        {
            span[at++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[at++] = (byte)value;
        return at;
    }

    public static ulong ReadVarint(ReadOnlySpan<byte> data, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (at >= data.Length) throw new FormatException("Truncated interaction history encoding.");
            var b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new FormatException("Malformed varint in interaction history encoding.");
    }
}
