using System.Collections;
using System.Runtime.InteropServices;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// A user's bounded interaction history, oldest first. In memory it is a list of <see cref="InteractionRecord"/>; in
/// storage it is one compact byte array (<see cref="Encode"/>, records in <see cref="HistoryRecordCodec"/>'s format),
/// because it is written with every event. Each record is encoded once, when it is added, into a window of bytes that
/// moves with the records (appended at the end, the oldest dropped from the start): re-encoding all records on every
/// write was a quarter of the silo's CPU under HTTP ingestion. Times are deltas from the record before, so the window
/// keeps the time of the last record it dropped as its base. Appending beyond <see cref="Capacity"/> drops the oldest.
/// </summary>
public sealed class InteractionHistory : IReadOnlyList<InteractionRecord>
{
    /// <summary>First byte of the encoding. Format 1 (fixed 8-byte ticks, string ids, no fingerprints) is no longer read.</summary>
    private const byte FormatVersion = 2;

    private readonly List<InteractionRecord> _records;

    /// <summary>
    /// Each record's event-id fingerprint (0 for a record without one), in record order: the duplicate check of every
    /// ingested event scans these 4-byte values with vector instructions instead of walking 200 record objects, which
    /// was 6 % of the silo's CPU under HTTP ingestion.
    /// </summary>
    private readonly List<uint> _fingerprints;

    /// <summary>The encoded records, oldest first, in <c>_encoded[_encodedStart.._encodedEnd]</c>.</summary>
    private byte[] _encoded;
    private int _encodedStart;
    private int _encodedEnd;

    /// <summary>UTC ticks of the record before the first kept one (the first one's delta is from it), and of the last.</summary>
    private long _baseTicks;
    private long _lastTicks;

    public InteractionHistory(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _records = new List<InteractionRecord>(Math.Min(capacity, 16));
        _fingerprints = new List<uint>(Math.Min(capacity, 16));
        _encoded = new byte[64];
    }

    public int Capacity { get; }

    public int Count => _records.Count;

    public InteractionRecord this[int index] => _records[index];

    /// <summary>Appends a record; returns the one that fell out of the window, if any.</summary>
    public InteractionRecord? Add(InteractionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        // Encoded first: a record that cannot be encoded must not enter the list without its bytes.
        EnsureRoomAtEnd(HistoryRecordCodec.MaxLength(record));
        _encodedEnd += HistoryRecordCodec.Write(_encoded.AsSpan(_encodedEnd), record, _lastTicks);
        _lastTicks = record.Timestamp.UtcTicks;
        _records.Add(record);
        _fingerprints.Add(record.EventFingerprint ?? 0);
        if (_records.Count <= Capacity) return null;
        var dropped = _records[0];
        _records.RemoveAt(0);
        _fingerprints.RemoveAt(0);
        var ticks = _baseTicks;
        HistoryRecordCodec.Read(_encoded.AsSpan(0, _encodedEnd), ref _encodedStart, ref ticks);
        _baseTicks = ticks;
        return dropped;
    }

    /// <summary>True when a kept record carries this event-id fingerprint.</summary>
    public bool ContainsFingerprint(uint fingerprint)
    {
        var fingerprints = CollectionsMarshal.AsSpan(_fingerprints);
        for (var from = 0; from < fingerprints.Length;)
        {
            var at = fingerprints[from..].IndexOf(fingerprint);
            if (at < 0) return false;
            // A 0 also stands for "no fingerprint": only a record that has one counts.
            if (_records[from + at].EventFingerprint == fingerprint) return true;
            from += at + 1;
        }
        return false;
    }

    public IEnumerator<InteractionRecord> GetEnumerator() => _records.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Version byte, count (varint), base ticks (zigzag varint), then the records. A copy of the bytes kept since each record was added.</summary>
    public byte[] Encode()
    {
        var body = _encoded.AsSpan(_encodedStart, _encodedEnd - _encodedStart);
        Span<byte> header = stackalloc byte[1 + 10 + 10];
        header[0] = FormatVersion;
        var length = 1 + HistoryRecordCodec.WriteVarint(header[1..], (ulong)_records.Count);
        length += HistoryRecordCodec.WriteVarint(header[length..], (ulong)((_baseTicks << 1) ^ (_baseTicks >> 63)));
        var buffer = new byte[length + body.Length];
        header[..length].CopyTo(buffer);
        body.CopyTo(buffer.AsSpan(length));
        return buffer;
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
        var count = (int)HistoryRecordCodec.ReadVarint(data, ref at);
        var zigzag = HistoryRecordCodec.ReadVarint(data, ref at);
        var ticks = (long)(zigzag >> 1) ^ -(long)(zigzag & 1);
        var history = new InteractionHistory(capacity) { _baseTicks = ticks, _lastTicks = ticks };
        try
        {
            for (var i = 0; i < count; i++) history.Add(HistoryRecordCodec.Read(data, ref at, ref ticks));
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new FormatException("Truncated interaction history encoding.", e);
        }
        catch (IndexOutOfRangeException e)
        {
            throw new FormatException("Truncated interaction history encoding.", e);
        }
        return history;
    }
}

/// <summary>What storage holds for an <see cref="InteractionHistory"/>: its <see cref="InteractionHistory.Encode"/> bytes.</summary>
[GenerateSerializer, Alias("llmrec.InteractionHistory.v2")]
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
