using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// The snapshot of a format-3 activity log (<see cref="ActivityLogCodec"/>): a <see cref="UserActivity"/> written by
/// hand, because Orleans' serializer spends ~50 bytes of field and type framing on a typical user's ~900. A byte
/// saying which optional parts follow (<see cref="Parts"/>), the total interactions (varint), the history (a count,
/// then the records in <see cref="HistoryRecordCodec.WriteCompact"/>'s form, the first timed from 0), then only the
/// parts present: the older fingerprints' arrival clock (zigzag varint) and the fingerprints (count, 4 bytes each,
/// oldest first), the disliked items (count, <see cref="HistoryRecordCodec.WriteItemId"/> each), the pending profile
/// changes (zigzag varint) and the two schedule times (UTC ticks and offset minutes, zigzag varints). It delimits
/// itself (the chunks follow it). A field added to <see cref="UserActivity"/>, <see cref="UserHistory"/> or
/// <see cref="ProfileSchedule"/> must be added here (a test lists the stored fields).
/// </summary>
internal static class ActivitySnapshotCodec
{
    [Flags]
    private enum Parts
    {
        None = 0,
        Seeded = 1,
        OlderEventIds = 2,
        OlderIdsArrivedAt = 4,
        DislikedItems = 8,
        PendingChanges = 16,
        PendingSince = 32,
        RequestedAt = 64,
        Known = 127,
    }

    public static byte[] Write(UserActivity activity, ReadOnlySpan<byte> header)
    {
        var history = activity.History;
        var schedule = activity.Schedule;
        var parts = (history.SeededFromTrainingData ? Parts.Seeded : 0)
            | (history.OlderEventIds.Count > 0 ? Parts.OlderEventIds : 0)
            | (history.OlderIdsArrivedAt != 0 ? Parts.OlderIdsArrivedAt : 0)
            | (history.DislikedItems.Count > 0 ? Parts.DislikedItems : 0)
            | (schedule.PendingChanges != 0 ? Parts.PendingChanges : 0)
            | (schedule.PendingSince.HasValue ? Parts.PendingSince : 0)
            | (schedule.RequestedAt.HasValue ? Parts.RequestedAt : 0);
        // Written into a pooled buffer, grown when a record might not fit: sizing it first visited every record (and its
        // item id string) twice, and a new buffer was zeroed only to be copied out; ~3 % of the silo under ingestion.
        var buffer = ArrayPool<byte>.Shared.Rent(header.Length + 1 + 2 * 10 + history.Count * EstimatedRecordBytes);
        try
        {
            header.CopyTo(buffer);
            var at = header.Length;
            buffer[at++] = (byte)parts;
            at += HistoryRecordCodec.WriteVarint(buffer.AsSpan(at), (ulong)history.TotalInteractions);
            at += HistoryRecordCodec.WriteVarint(buffer.AsSpan(at), (ulong)history.Count);
            long ticks = 0;
            var flags = HistoryRecordCodec.NoFlags;
            foreach (var record in history.Interactions)
            {
                EnsureRoom(ref buffer, at, HistoryRecordCodec.MaxLength(record));
                at += HistoryRecordCodec.WriteCompact(buffer.AsSpan(at), record, ticks, ref flags);
                ticks = record.Timestamp.UtcTicks;
            }
            // Varints are at most 10 bytes; an item id at most a varint and its UTF-8.
            var rest = 3 * 10 + 2 * 20 + 10 + history.OlderEventIds.Count * sizeof(uint) + 10;
            foreach (var item in history.DislikedItems) rest += 10 + Encoding.UTF8.GetMaxByteCount(item.Length);
            EnsureRoom(ref buffer, at, rest);
            var span = buffer.AsSpan();
            if ((parts & Parts.OlderIdsArrivedAt) != 0) at += HistoryRecordCodec.WriteVarint(span[at..], HistoryRecordCodec.ZigZag(history.OlderIdsArrivedAt));
            if ((parts & Parts.OlderEventIds) != 0)
            {
                at += HistoryRecordCodec.WriteVarint(span[at..], (ulong)history.OlderEventIds.Count);
                foreach (var id in history.OlderEventIds)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(span[at..], id);
                    at += sizeof(uint);
                }
            }
            if ((parts & Parts.DislikedItems) != 0)
            {
                at += HistoryRecordCodec.WriteVarint(span[at..], (ulong)history.DislikedItems.Count);
                foreach (var item in history.DislikedItems) at += HistoryRecordCodec.WriteItemId(span[at..], item);
            }
            if ((parts & Parts.PendingChanges) != 0) at += HistoryRecordCodec.WriteVarint(span[at..], HistoryRecordCodec.ZigZag(schedule.PendingChanges));
            if (schedule.PendingSince is { } since) at += ActivityLogCodec.WriteInstant(span[at..], since);
            if (schedule.RequestedAt is { } requested) at += ActivityLogCodec.WriteInstant(span[at..], requested);
            return buffer.AsSpan(0, at).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A first guess at a record's bytes (canonical ids take a few); a longer one grows the buffer.</summary>
    private const int EstimatedRecordBytes = 24;

    /// <summary>Makes room for <paramref name="needed"/> more bytes after <paramref name="at"/>, in a larger pooled buffer if need be.</summary>
    private static void EnsureRoom(ref byte[] buffer, int at, int needed)
    {
        if (buffer.Length - at >= needed) return;
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(buffer.Length * 2, at + needed));
        buffer.AsSpan(0, at).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        buffer = larger;
    }

    /// <summary>Reads the snapshot at <paramref name="at"/>, leaving <paramref name="at"/> just after it.</summary>
    public static UserActivity Read(ReadOnlySpan<byte> data, ref int at)
    {
        var parts = (Parts)data[at++];
        if ((parts & ~Parts.Known) != 0) throw new FormatException($"Unknown parts {(int)parts} in a stored activity snapshot.");
        var total = checked((int)HistoryRecordCodec.ReadVarint(data, ref at));
        // Bounded by the bytes left (a record takes at least two), not by today's capacities: a snapshot written under a
        // larger one still reads, keeping the newest records as InteractionHistory does.
        var count = checked((int)HistoryRecordCodec.ReadVarint(data, ref at));
        if (count > (data.Length - at) / 2) throw new FormatException($"A stored history of {count} records in {data.Length - at} bytes.");
        var records = new InteractionRecord[count];
        long ticks = 0;
        var flags = HistoryRecordCodec.NoFlags;
        for (var i = 0; i < count; i++) records[i] = HistoryRecordCodec.ReadCompact(data, ref at, ref ticks, ref flags);
        var arrivedAt = (parts & Parts.OlderIdsArrivedAt) != 0 ? HistoryRecordCodec.UnZigZag(HistoryRecordCodec.ReadVarint(data, ref at)) : 0;
        var olderCount = (parts & Parts.OlderEventIds) != 0 ? HistoryRecordCodec.ReadVarint(data, ref at) : 0;
        if (olderCount > (ulong)(data.Length - at) / sizeof(uint)) throw new FormatException("Truncated event-id fingerprints in a stored activity snapshot.");
        var older = new uint[olderCount];
        for (var i = 0; i < older.Length; i++)
        {
            older[i] = BinaryPrimitives.ReadUInt32LittleEndian(data[at..]);
            at += sizeof(uint);
        }
        var disliked = new List<string>();
        var dislikes = (parts & Parts.DislikedItems) != 0 ? checked((int)HistoryRecordCodec.ReadVarint(data, ref at)) : 0;
        if (dislikes > data.Length - at) throw new FormatException($"{dislikes} stored disliked items in {data.Length - at} bytes.");
        for (var i = 0; i < dislikes; i++) disliked.Add(HistoryRecordCodec.ReadItemId(data, ref at));
        var schedule = new ProfileSchedule
        {
            PendingChanges = (parts & Parts.PendingChanges) != 0 ? checked((int)HistoryRecordCodec.UnZigZag(HistoryRecordCodec.ReadVarint(data, ref at))) : 0,
            PendingSince = (parts & Parts.PendingSince) != 0 ? ActivityLogCodec.ReadInstant(data, ref at) : null,
            RequestedAt = (parts & Parts.RequestedAt) != 0 ? ActivityLogCodec.ReadInstant(data, ref at) : null,
        };
        var history = UserHistory.Restore(records, older, disliked, total, (parts & Parts.Seeded) != 0, arrivedAt);
        return UserActivity.Of(history, schedule);
    }
}
