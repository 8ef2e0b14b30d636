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
        // Varints are at most 10 bytes; an item id at most a varint and its UTF-8.
        var size = header.Length + 1 + 5 * 10 + 2 * 20 + history.OlderEventIds.Count * sizeof(uint);
        foreach (var record in history.Interactions) size += HistoryRecordCodec.MaxLength(record);
        foreach (var item in history.DislikedItems) size += 10 + Encoding.UTF8.GetMaxByteCount(item.Length);
        var buffer = new byte[size];
        header.CopyTo(buffer);
        var span = buffer.AsSpan();
        var at = header.Length;
        span[at++] = (byte)parts;
        at += HistoryRecordCodec.WriteVarint(span[at..], (ulong)history.TotalInteractions);
        at += HistoryRecordCodec.WriteVarint(span[at..], (ulong)history.Count);
        long ticks = 0;
        var flags = HistoryRecordCodec.NoFlags;
        foreach (var record in history.Interactions)
        {
            at += HistoryRecordCodec.WriteCompact(span[at..], record, ticks, ref flags);
            ticks = record.Timestamp.UtcTicks;
        }
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
        return buffer[..at];
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
