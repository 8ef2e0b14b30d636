using System.Buffers.Binary;
using System.Collections;
using System.Text;
using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// A user's bounded interaction history, oldest first. In memory it is a list of <see cref="InteractionRecord"/>; in
/// storage it is one compact byte array (<see cref="Encode"/>), because it is written with every event and Orleans'
/// field-by-field serialisation of 200 records (with reference tracking of every string) was the largest cost of an
/// ingestion write. Each record is encoded once, when it is added, into a window of bytes that moves with the records
/// (appended at the end, the oldest dropped from the start): re-encoding all 200 records on every write was a quarter
/// of the silo's CPU under HTTP ingestion. Appending beyond <see cref="Capacity"/> drops the oldest record.
/// </summary>
public sealed class InteractionHistory : IReadOnlyList<InteractionRecord>
{
    /// <summary>First byte of the encoding; a change of layout takes the next number and keeps decoding this one.</summary>
    private const byte FormatVersion = 1;

    private const byte HasValueFlag = 0x80;

    /// <summary>The longest varint of a 32-bit length.</summary>
    private const int MaxVarintLength = 5;

    private readonly List<InteractionRecord> _records;

    /// <summary>The encoded records, oldest first, in <c>_encoded[_encodedStart.._encodedEnd]</c>.</summary>
    private byte[] _encoded;
    private int _encodedStart;
    private int _encodedEnd;

    public InteractionHistory(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _records = new List<InteractionRecord>(Math.Min(capacity, 16));
        _encoded = new byte[256];
    }

    public int Capacity { get; }

    public int Count => _records.Count;

    public InteractionRecord this[int index] => _records[index];

    /// <summary>Appends a record; returns the one that fell out of the window, if any.</summary>
    public InteractionRecord? Add(InteractionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        // Encoded first: a record that cannot be encoded must not enter the list without its bytes.
        AppendEncoded(record);
        _records.Add(record);
        if (_records.Count <= Capacity) return null;
        var dropped = _records[0];
        _records.RemoveAt(0);
        _encodedStart += EncodedLengthAt(_encodedStart);
        return dropped;
    }

    public IEnumerator<InteractionRecord> GetEnumerator() => _records.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Version byte and count (a 7-bit varint), then per record: item id (varint length + UTF-8), type and a
    /// has-value flag in one byte, the value (4-byte float) when present, UTC ticks (8 bytes), offset minutes (2 bytes).
    /// About 17 bytes per click with a short item id. A copy of the bytes kept since each record was added.
    /// </summary>
    public byte[] Encode()
    {
        var body = _encoded.AsSpan(_encodedStart, _encodedEnd - _encodedStart);
        var header = 1 + VarintLength((uint)_records.Count);
        var buffer = new byte[header + body.Length];
        buffer[0] = FormatVersion;
        WriteVarint(buffer.AsSpan(1), (uint)_records.Count);
        body.CopyTo(buffer.AsSpan(header));
        return buffer;
    }

    /// <summary>The length of the record encoded at <paramref name="at"/>, read from its own bytes (length prefix and flags).</summary>
    private int EncodedLengthAt(int at)
    {
        var bytes = _encoded.AsSpan(0, _encodedEnd);
        var position = at;
        var idLength = (int)ReadVarint(bytes, ref position);
        position += idLength;
        var hasValue = (bytes[position++] & HasValueFlag) != 0;
        return position - at + (hasValue ? 4 : 0) + 8 + 2;
    }

    /// <summary>Encodes <paramref name="record"/> after the last one.</summary>
    private void AppendEncoded(InteractionRecord record)
    {
        var maxLength = MaxVarintLength + Encoding.UTF8.GetMaxByteCount(record.ItemId.Length) + 1 + 4 + 8 + 2;
        EnsureRoomAtEnd(maxLength);
        var span = _encoded.AsSpan(_encodedEnd);
        // The id goes after the longest length prefix, then moves back by what the real prefix saves.
        var idLength = Encoding.UTF8.GetBytes(record.ItemId, span[MaxVarintLength..]);
        var prefix = WriteVarint(span, (uint)idLength);
        if (prefix < MaxVarintLength) span.Slice(MaxVarintLength, idLength).CopyTo(span[prefix..]);
        var at = prefix + idLength;
        span[at++] = (byte)((byte)record.Type | (record.Value.HasValue ? HasValueFlag : 0));
        if (record.Value is { } value)
        {
            BinaryPrimitives.WriteSingleLittleEndian(span[at..], value);
            at += 4;
        }
        BinaryPrimitives.WriteInt64LittleEndian(span[at..], record.Timestamp.UtcTicks);
        at += 8;
        BinaryPrimitives.WriteInt16LittleEndian(span[at..], (short)record.Timestamp.TotalOffsetMinutes);
        at += 2;
        _encodedEnd += at;
    }

    /// <summary>
    /// Makes room for <paramref name="length"/> bytes after the last record: moves the live bytes to the start, and
    /// grows the buffer by half when they would fill three quarters of it (so it stays under about 2× the live bytes,
    /// and a move happens only every few dozen records).
    /// </summary>
    private void EnsureRoomAtEnd(int length)
    {
        if (_encodedEnd + length <= _encoded.Length) return;
        var live = _encodedEnd - _encodedStart;
        var target = _encoded;
        if (live + length > _encoded.Length / 4 * 3)
        {
            target = new byte[Math.Max(_encoded.Length + _encoded.Length / 2, (live + length) * 4 / 3 + 1)];
        }
        _encoded.AsSpan(_encodedStart, live).CopyTo(target);
        _encoded = target;
        _encodedStart = 0;
        _encodedEnd = live;
    }

    /// <summary>
    /// Reads what <see cref="Encode"/> wrote into a history of <paramref name="capacity"/> (the newest records are kept
    /// if it holds more); throws <see cref="FormatException"/> on anything else.
    /// </summary>
    public static InteractionHistory Decode(ReadOnlySpan<byte> data, int capacity)
    {
        if (data.Length == 0 || data[0] != FormatVersion)
        {
            throw new FormatException($"Unknown interaction history encoding (version byte {(data.Length == 0 ? "missing" : data[0].ToString(System.Globalization.CultureInfo.InvariantCulture))}).");
        }
        var at = 1;
        var count = (int)ReadVarint(data, ref at);
        var history = new InteractionHistory(capacity);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var length = (int)ReadVarint(data, ref at);
                var itemId = Encoding.UTF8.GetString(data.Slice(at, length));
                at += length;
                var typeAndFlags = data[at++];
                float? value = null;
                if ((typeAndFlags & HasValueFlag) != 0)
                {
                    value = BinaryPrimitives.ReadSingleLittleEndian(data[at..]);
                    at += 4;
                }
                var ticks = BinaryPrimitives.ReadInt64LittleEndian(data[at..]);
                at += 8;
                var offset = TimeSpan.FromMinutes(BinaryPrimitives.ReadInt16LittleEndian(data[at..]));
                at += 2;
                history.Add(new InteractionRecord
                {
                    ItemId = itemId,
                    Type = (UserEventType)(typeAndFlags & ~HasValueFlag),
                    Value = value,
                    Timestamp = new DateTimeOffset(ticks + offset.Ticks, offset),
                });
            }
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new FormatException("Truncated interaction history encoding.", e);
        }
        return history;
    }

    private static int VarintLength(uint value) => value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x20_0000 ? 3 : value < 0x1000_0000 ? 4 : 5;

    private static int WriteVarint(Span<byte> span, uint value)
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

    private static uint ReadVarint(ReadOnlySpan<byte> data, ref int at)
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (at >= data.Length) throw new FormatException("Truncated interaction history encoding.");
            var b = data[at++];
            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new FormatException("Malformed varint in interaction history encoding.");
    }
}

/// <summary>What storage holds for an <see cref="InteractionHistory"/>: its <see cref="InteractionHistory.Encode"/> bytes.</summary>
[GenerateSerializer, Alias("llmrec.InteractionHistory.v1")]
public struct InteractionHistorySurrogate
{
    [Id(0)] public byte[] Data;
}

[RegisterConverter]
public sealed class InteractionHistoryConverter : IConverter<InteractionHistory, InteractionHistorySurrogate>
{
    public InteractionHistory ConvertFromSurrogate(in InteractionHistorySurrogate surrogate) => InteractionHistory.Decode(surrogate.Data, UserHistory.HistoryCapacity);

    public InteractionHistorySurrogate ConvertToSurrogate(in InteractionHistory value) => new() { Data = value.Encode() };
}
