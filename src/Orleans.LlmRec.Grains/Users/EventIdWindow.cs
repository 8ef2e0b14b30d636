using System.Buffers.Binary;
using System.Collections;
using System.Runtime.InteropServices;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// Event-id fingerprints (<see cref="EventIdHash.Fingerprint"/>) of a user's events older than the history, as a ring:
/// adding past the capacity overwrites the oldest. Enumerates oldest first. Stored as one byte array of 4 bytes per id
/// (oldest first) instead of Orleans' per-element list encoding.
/// </summary>
/// <remarks>
/// The ring grows with use up to its capacity (most users never fill it, and an active grain of a light user should
/// not hold 3 KB of empty slots); until it is full nothing wraps, so the oldest is always at index 0 while it grows.
/// </remarks>
public sealed class EventIdWindow : IReadOnlyCollection<uint>
{
    private const int FirstSize = 8;

    private uint[] _ring = [];
    private int _start;
    private int _count;

    public EventIdWindow(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count => _count;

    /// <summary>Slots held in memory now (grows to <see cref="Capacity"/> as fingerprints arrive).</summary>
    internal int Allocated => _ring.Length;

    // Unused slots are never searched: a hash of 0 is as valid as any other.
    public bool Contains(uint hash) => _ring.AsSpan(0, _count).Contains(hash);

    /// <summary>Remembers a hash (the caller checks <see cref="Contains"/> first); the oldest is forgotten when full.</summary>
    public void Add(uint hash)
    {
        if (_count < Capacity)
        {
            // Not yet full: nothing has wrapped, so _start is 0 and the ring only grows at its end.
            if (_count == _ring.Length) Array.Resize(ref _ring, Math.Min(Capacity, Math.Max(FirstSize, _ring.Length * 2)));
            _ring[_count] = hash;
            _count++;
            return;
        }
        _ring[_start] = hash;
        _start = (_start + 1) % _ring.Length;
    }

    /// <summary>Forgets every fingerprint.</summary>
    public void Clear()
    {
        _ring = [];
        _start = 0;
        _count = 0;
    }

    public IEnumerator<uint> GetEnumerator()
    {
        for (var i = 0; i < _count; i++) yield return _ring[(_start + i) % _ring.Length];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>4 bytes per fingerprint, little-endian, oldest first.</summary>
    public byte[] Encode()
    {
        var bytes = new byte[_count * sizeof(uint)];
        // Oldest first: from the start of the ring to its end, then what wrapped around to its beginning.
        var first = Math.Min(_count, _ring.Length - _start);
        WriteLittleEndian(_ring.AsSpan(_start, first), bytes);
        WriteLittleEndian(_ring.AsSpan(0, _count - first), bytes.AsSpan(first * sizeof(uint)));
        return bytes;
    }

    private static void WriteLittleEndian(ReadOnlySpan<uint> hashes, Span<byte> destination)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(hashes).CopyTo(destination);
            return;
        }
        for (var i = 0; i < hashes.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(destination[(i * sizeof(uint))..], hashes[i]);
    }

    /// <summary>Reads what <see cref="Encode"/> wrote into a window of <paramref name="capacity"/> (keeping the newest).</summary>
    public static EventIdWindow Decode(ReadOnlySpan<byte> data, int capacity)
    {
        if (data.Length % sizeof(uint) != 0)
        {
            throw new FormatException($"An event-id window is a multiple of 4 bytes long, not {data.Length}.");
        }
        var window = new EventIdWindow(capacity);
        for (var at = 0; at < data.Length; at += sizeof(uint)) window.Add(BinaryPrimitives.ReadUInt32LittleEndian(data[at..]));
        return window;
    }
}

/// <summary>What storage holds for an <see cref="EventIdWindow"/>: its <see cref="EventIdWindow.Encode"/> bytes.</summary>
[GenerateSerializer, Alias("llmrec.EventIdWindow.v2")]
public struct EventIdWindowSurrogate
{
    [Id(0)] public byte[] Data;
}

[RegisterConverter]
public sealed class EventIdWindowConverter : IConverter<EventIdWindow, EventIdWindowSurrogate>
{
    public EventIdWindow ConvertFromSurrogate(in EventIdWindowSurrogate surrogate) => EventIdWindow.Decode(surrogate.Data, UserHistory.EventIdCapacity - UserHistory.HistoryCapacity);

    public EventIdWindowSurrogate ConvertToSurrogate(in EventIdWindow value) => new() { Data = value.Encode() };
}
