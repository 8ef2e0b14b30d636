using System.Collections;
using System.Runtime.InteropServices;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// A user's bounded interaction history, oldest first, a list of <see cref="InteractionRecord"/>. Appending beyond
/// <see cref="Capacity"/> drops the oldest. The activity log stores it record by record (<see cref="ActivityLogCodec"/>);
/// <see cref="Encode"/> (records in <see cref="HistoryRecordCodec"/>'s format 2) is its Orleans-serialized form, which
/// only a user stored before the activity log has, so it is encoded when asked for, not kept up to date per event.
/// Times are deltas from the record before, so the history keeps the time of the last record it dropped as its base.
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

    /// <summary>UTC ticks of the record before the first kept one (the first one's delta is from it).</summary>
    private long _baseTicks;

    public InteractionHistory(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _records = new List<InteractionRecord>(Math.Min(capacity, 16));
        _fingerprints = new List<uint>(Math.Min(capacity, 16));
    }

    public int Capacity { get; }

    public int Count => _records.Count;

    public InteractionRecord this[int index] => _records[index];

    /// <summary>Appends a record; returns the one that fell out of the window, if any.</summary>
    public InteractionRecord? Add(InteractionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        // Checked first: a record that cannot be stored must not enter the list.
        HistoryRecordCodec.ThrowIfNotStorable(record);
        _records.Add(record);
        _fingerprints.Add(record.EventFingerprint ?? 0);
        if (_records.Count <= Capacity) return null;
        var dropped = _records[0];
        _records.RemoveAt(0);
        _fingerprints.RemoveAt(0);
        _baseTicks = dropped.Timestamp.UtcTicks;
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

    /// <summary>Version byte, count (varint), base ticks (zigzag varint), then the records.</summary>
    public byte[] Encode()
    {
        var size = 1 + 10 + 10;
        foreach (var record in _records) size += HistoryRecordCodec.MaxLength(record);
        var buffer = new byte[size];
        buffer[0] = FormatVersion;
        var at = 1 + HistoryRecordCodec.WriteVarint(buffer.AsSpan(1), (ulong)_records.Count);
        at += HistoryRecordCodec.WriteVarint(buffer.AsSpan(at), HistoryRecordCodec.ZigZag(_baseTicks));
        var ticks = _baseTicks;
        foreach (var record in _records)
        {
            at += HistoryRecordCodec.Write(buffer.AsSpan(at), record, ticks);
            ticks = record.Timestamp.UtcTicks;
        }
        return buffer[..at];
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
        var ticks = HistoryRecordCodec.UnZigZag(HistoryRecordCodec.ReadVarint(data, ref at));
        var history = new InteractionHistory(capacity) { _baseTicks = ticks };
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
