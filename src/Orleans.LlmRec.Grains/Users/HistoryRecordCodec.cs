using System.Buffers.Binary;
using System.Text;
using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// One <see cref="InteractionRecord"/> in a stored history, about 8 bytes for a click on a numeric item id with a
/// de-duplication fingerprint. A flags byte: the event type (bits 0–2), a value (bit 3), a numeric item id (bit 4), a
/// fingerprint (bit 5) and the time unit (bits 6–7: seconds, milliseconds, ticks, ticks with a UTC offset). Then the
/// item id (a varint when it is canonical decimal, else a varint length and UTF-8), the time as a zigzag varint delta
/// from the previous record in that unit (2 bytes of offset minutes for the last unit), the value (one byte of
/// half-steps when exact, else 255 and a 4-byte float), and the fingerprint (4 bytes).
/// Two layouts of the same fields: <see cref="Write"/> (format 2: the flags byte first, every record on its own;
/// <see cref="InteractionHistory.Encode"/> and format-2 activity logs) and <see cref="WriteCompact"/>
/// (the activity log's format 3): the item varint first with one more low bit saying "same flags as the record
/// before", the flags byte only when they differ. A user's records mostly share their flags (clicks on numeric ids,
/// whole seconds apart), so a record is about 7 bytes.
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

    /// <summary>What a compact record sequence starts from: no record before, so the first writes its flags.</summary>
    public const int NoFlags = -1;

    /// <summary>Bytes <see cref="Write"/> or <see cref="WriteCompact"/> may need for <paramref name="record"/>.</summary>
    public static int MaxLength(InteractionRecord record) => 1 + 10 + Encoding.UTF8.GetMaxByteCount(record.ItemId.Length) + 10 + 2 + 5 + 4;

    /// <summary>Writes <paramref name="record"/> (format 2), timed relative to <paramref name="previousTicks"/> (UTC ticks); returns the bytes written.</summary>
    public static int Write(Span<byte> span, InteractionRecord record, long previousTicks)
    {
        var flags = FlagsOf(record, previousTicks, out var item);
        span[0] = (byte)flags;
        var at = 1 + WriteVarint(span[1..], item);
        at += WriteItemText(span[at..], record, flags);
        return at + WriteRest(span[at..], record, previousTicks, flags);
    }

    /// <summary>
    /// Writes <paramref name="record"/> (format 3) after a record of <paramref name="previousFlags"/>
    /// (<see cref="NoFlags"/> for the first), timed relative to <paramref name="previousTicks"/>; returns the bytes
    /// written and sets <paramref name="previousFlags"/> to the record's.
    /// </summary>
    public static int WriteCompact(Span<byte> span, InteractionRecord record, long previousTicks, ref int previousFlags)
    {
        var flags = FlagsOf(record, previousTicks, out var item);
        var same = flags == previousFlags;
        // Canonical ids are below 10¹⁸ and UTF-8 lengths far smaller: one more bit never overflows.
        var at = WriteVarint(span, (item << 1) | (same ? 1UL : 0UL));
        if (!same) span[at++] = (byte)flags;
        at += WriteItemText(span[at..], record, flags);
        previousFlags = flags;
        return at + WriteRest(span[at..], record, previousTicks, flags);
    }

    /// <summary>Reads the format-2 record at <paramref name="at"/> (advancing it); <paramref name="previousTicks"/> becomes its UTC ticks.</summary>
    public static InteractionRecord Read(ReadOnlySpan<byte> data, ref int at, ref long previousTicks)
    {
        var flags = data[at++];
        var item = ReadVarint(data, ref at);
        return ReadRest(data, ref at, ref previousTicks, flags, item);
    }

    /// <summary>Reads the format-3 record at <paramref name="at"/> after one of <paramref name="previousFlags"/> (which becomes this one's).</summary>
    public static InteractionRecord ReadCompact(ReadOnlySpan<byte> data, ref int at, ref long previousTicks, ref int previousFlags)
    {
        var head = ReadVarint(data, ref at);
        if ((head & 1) == 0) previousFlags = data[at++];
        else if (previousFlags == NoFlags) throw new FormatException("The first record of a stored history repeats flags it has none of.");
        return ReadRest(data, ref at, ref previousTicks, previousFlags, head >> 1);
    }

    /// <summary>
    /// An item id on its own (a disliked item): a varint of its number with a low bit 1 when it is canonical decimal,
    /// else of its UTF-8 length with a low bit 0 and the bytes.
    /// </summary>
    public static int WriteItemId(Span<byte> span, string itemId)
    {
        if (TryParseCanonical(itemId, out var number)) return WriteVarint(span, (number << 1) | 1);
        var length = Encoding.UTF8.GetByteCount(itemId);
        var at = WriteVarint(span, (ulong)length << 1);
        return at + Encoding.UTF8.GetBytes(itemId, span[at..]);
    }

    public static string ReadItemId(ReadOnlySpan<byte> data, ref int at)
    {
        var head = ReadVarint(data, ref at);
        if ((head & 1) != 0) return (head >> 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var length = checked((int)(head >> 1));
        var itemId = Encoding.UTF8.GetString(data.Slice(at, length));
        at += length;
        return itemId;
    }

    /// <summary>The record's flags, and the varint after them: the item id's number when numeric, else its UTF-8 length.</summary>
    /// <summary>Throws when <paramref name="record"/> has no stored form (what a history checks before keeping it).</summary>
    public static void ThrowIfNotStorable(InteractionRecord record)
    {
        if ((int)record.Type is < 0 or > TypeMask) throw new ArgumentOutOfRangeException(nameof(record), record.Type, "Event types beyond 7 need a new history format.");
    }

    private static int FlagsOf(InteractionRecord record, long previousTicks, out ulong item)
    {
        ThrowIfNotStorable(record);
        var delta = record.Timestamp.UtcTicks - previousTicks;
        var unit = record.Timestamp.Offset != TimeSpan.Zero ? TicksWithOffset
            : delta % TimeSpan.TicksPerSecond == 0 ? Seconds
            : delta % TimeSpan.TicksPerMillisecond == 0 ? Milliseconds
            : Ticks;
        var numeric = TryParseCanonical(record.ItemId, out item);
        if (!numeric) item = (ulong)Encoding.UTF8.GetByteCount(record.ItemId);
        return (int)record.Type | (record.Value.HasValue ? HasValue : 0) | (numeric ? NumericItem : 0)
            | (record.EventFingerprint.HasValue ? HasFingerprint : 0) | (unit << UnitShift);
    }

    private static int WriteItemText(Span<byte> span, InteractionRecord record, int flags) =>
        (flags & NumericItem) != 0 ? 0 : Encoding.UTF8.GetBytes(record.ItemId, span);

    /// <summary>Time, value and fingerprint.</summary>
    private static int WriteRest(Span<byte> span, InteractionRecord record, long previousTicks, int flags)
    {
        var delta = record.Timestamp.UtcTicks - previousTicks;
        var unit = flags >> UnitShift;
        var units = unit switch { Seconds => delta / TimeSpan.TicksPerSecond, Milliseconds => delta / TimeSpan.TicksPerMillisecond, _ => delta };
        var at = WriteVarint(span, ZigZag(units));
        if (unit == TicksWithOffset)
        {
            BinaryPrimitives.WriteInt16LittleEndian(span[at..], (short)record.Timestamp.TotalOffsetMinutes);
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
        return at;
    }

    /// <summary>Everything after the flags and the item varint (<paramref name="item"/>).</summary>
    private static InteractionRecord ReadRest(ReadOnlySpan<byte> data, ref int at, ref long previousTicks, int flags, ulong item)
    {
        string itemId;
        if ((flags & NumericItem) != 0)
        {
            itemId = item.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else
        {
            var length = checked((int)item);
            itemId = Encoding.UTF8.GetString(data.Slice(at, length));
            at += length;
        }
        var zigzag = ReadVarint(data, ref at);
        var units = UnZigZag(zigzag);
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

    /// <summary>A signed value as an unsigned one small in magnitude either way (0, −1, 1, −2 … → 0, 1, 2, 3 …), for a varint.</summary>
    public static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    public static long UnZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);

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
