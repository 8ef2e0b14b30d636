using System.Buffers.Binary;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// The stored form of a user's <see cref="UserActivity"/> (<see cref="IActivityLogStore"/>): a header (format byte,
/// 8-byte random epoch), the snapshot (<see cref="ActivitySnapshotCodec"/>, self-delimiting), then the chunks written
/// since, each a varint length and a body. A body holds what one write changed: the interactions added
/// (<see cref="HistoryRecordCodec.WriteCompact"/>, times as deltas from the history's last record), replayed
/// through <see cref="UserHistory.AddInteraction"/> exactly as they were first applied, and the few values that are
/// set rather than added (<see cref="ActivityScalars"/>), only those that changed (the arrival clock as a delta). A change that is not an append
/// (fingerprints forgotten after an idle hour, a seeded history) is written as a new snapshot.
/// Format 2 (until session 8: the snapshot's varint length, the snapshot as Orleans serializes it, chunks of
/// <see cref="HistoryRecordCodec.Write"/> records) is still read; its user's next write is a format-3 snapshot.
/// </summary>
public static class ActivityLogCodec
{
    /// <summary>First byte of the value written (1 had a fixed 4-byte snapshot length; it is not read).</summary>
    public const byte FormatVersion = 3;

    /// <summary>The format before (an Orleans-serialized snapshot): read, never written.</summary>
    public const byte OrleansSnapshotFormat = 2;

    /// <summary>Format byte and epoch.</summary>
    public const int HeaderLength = 1 + sizeof(ulong);

    /// <summary>Longest varint of a snapshot's length.</summary>
    private const int MaxLengthPrefix = 5;

    private const int PendingChangesSet = 1, PendingSinceSet = 2, RequestedAtSet = 4, OlderIdsArrivedAtSet = 8, KnownFlags = 15;

    public static byte[] Header(ulong epoch) => Header(FormatVersion, epoch);

    public static byte[] Header(byte format, ulong epoch)
    {
        var header = new byte[HeaderLength];
        header[0] = format;
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(1), epoch);
        return header;
    }

    /// <summary>True when <paramref name="value"/> is the stored value of <paramref name="version"/> (what a conditional write checks).</summary>
    public static bool IsVersion(ReadOnlySpan<byte> value, ActivityLogVersion version) =>
        value.Length == version.Length && (version.Length == 0 || value[..HeaderLength].SequenceEqual(version.Header()));

    /// <summary>A whole value: header, snapshot, no chunks.</summary>
    public static byte[] Snapshot(ulong epoch, UserActivity activity) => ActivitySnapshotCodec.Write(activity, Header(epoch));

    /// <summary>
    /// A chunk (length-prefixed) holding the last <paramref name="added"/> interactions of <paramref name="activity"/>
    /// and its scalars that differ from <paramref name="written"/>. The interaction before them must still be in the
    /// history (or there was none): the first delta is taken from it, as replay will.
    /// </summary>
    public static byte[] Chunk(UserActivity activity, int added, ActivityScalars written)
    {
        var interactions = activity.History.Interactions;
        var first = interactions.Count - added;
        var ticks = first > 0 ? interactions[first - 1].Timestamp.UtcTicks : 0;
        var now = ActivityScalars.Of(activity);
        // Flags, count, then at most: pending changes (10), two times (1 + 10 + 10 each), arrival clock (10).
        var size = 1 + 10 + 10 + 2 * 21 + 10;
        for (var i = first; i < interactions.Count; i++) size += HistoryRecordCodec.MaxLength(interactions[i]);
        var body = new byte[size];
        var at = 1;
        at += HistoryRecordCodec.WriteVarint(body.AsSpan(at), (ulong)added);
        // A chunk's first record always writes its flags: a chunk reads the same whatever was stored before it.
        var recordFlags = HistoryRecordCodec.NoFlags;
        for (var i = first; i < interactions.Count; i++)
        {
            at += HistoryRecordCodec.WriteCompact(body.AsSpan(at), interactions[i], ticks, ref recordFlags);
            ticks = interactions[i].Timestamp.UtcTicks;
        }
        var flags = 0;
        if (now.PendingChanges != written.PendingChanges)
        {
            flags |= PendingChangesSet;
            at += HistoryRecordCodec.WriteVarint(body.AsSpan(at), HistoryRecordCodec.ZigZag(now.PendingChanges));
        }
        if (!Same(now.PendingSince, written.PendingSince))
        {
            flags |= PendingSinceSet;
            at += WriteTime(body.AsSpan(at), now.PendingSince);
        }
        if (!Same(now.RequestedAt, written.RequestedAt))
        {
            flags |= RequestedAtSet;
            at += WriteTime(body.AsSpan(at), now.RequestedAt);
        }
        if (now.OlderIdsArrivedAt != written.OlderIdsArrivedAt)
        {
            flags |= OlderIdsArrivedAtSet;
            // From the value before the chunk (what replay holds then): a few seconds or minutes, 1–2 bytes, not 5.
            at += HistoryRecordCodec.WriteVarint(body.AsSpan(at), HistoryRecordCodec.ZigZag(now.OlderIdsArrivedAt - written.OlderIdsArrivedAt));
        }
        body[0] = (byte)flags;
        Span<byte> prefix = stackalloc byte[MaxLengthPrefix];
        var prefixLength = HistoryRecordCodec.WriteVarint(prefix, (ulong)at);
        var chunk = new byte[prefixLength + at];
        prefix[..prefixLength].CopyTo(chunk);
        body.AsSpan(0, at).CopyTo(chunk.AsSpan(prefixLength));
        return chunk;
    }

    /// <summary>
    /// Reads a stored value: the snapshot with every chunk replayed on it (<paramref name="deserialize"/> reads a
    /// format-2 snapshot). Throws <see cref="FormatException"/> for anything that is not such a value.
    /// </summary>
    public static (UserActivity Activity, ActivityLogVersion Version, int SnapshotLength) Read(byte[] value, Func<ReadOnlyMemory<byte>, UserActivity> deserialize)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(deserialize);
        if (value.Length <= HeaderLength || value[0] is not (FormatVersion or OrleansSnapshotFormat))
        {
            throw new FormatException($"Not a stored user activity (format byte {(value.Length == 0 ? "missing" : value[0].ToString(System.Globalization.CultureInfo.InvariantCulture))}, {value.Length} bytes).");
        }
        var format = value[0];
        var epoch = BinaryPrimitives.ReadUInt64LittleEndian(value.AsSpan(1));
        var at = HeaderLength;
        try
        {
            UserActivity activity;
            if (format == FormatVersion)
            {
                activity = ActivitySnapshotCodec.Read(value, ref at);
            }
            else
            {
                var snapshotLength = HistoryRecordCodec.ReadVarint(value, ref at);
                if (snapshotLength > (ulong)(value.Length - at)) throw new FormatException("Truncated user activity snapshot.");
                activity = deserialize(value.AsMemory(at, (int)snapshotLength));
                at += (int)snapshotLength;
            }
            var end = at;
            while (at < value.Length)
            {
                var length = checked((int)HistoryRecordCodec.ReadVarint(value, ref at));
                if (length > value.Length - at) throw new FormatException("Truncated user activity chunk.");
                Replay(activity, value.AsSpan(at, length), format);
                at += length;
            }
            return (activity, new ActivityLogVersion(value.Length, epoch, format), end);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException)
        {
            throw new FormatException("Malformed user activity value.", e);
        }
    }

    private static void Replay(UserActivity activity, ReadOnlySpan<byte> body, byte format)
    {
        var flags = body[0];
        if ((flags & ~KnownFlags) != 0) throw new FormatException($"Unknown user activity chunk flags {flags}.");
        var at = 1;
        var added = checked((int)HistoryRecordCodec.ReadVarint(body, ref at));
        var history = activity.History;
        // Before the records: adding them never changes it (only Apply does, after them), but read it as the writer did.
        var olderIdsArrivedAt = history.OlderIdsArrivedAt;
        var ticks = history.Count > 0 ? history.Interactions[^1].Timestamp.UtcTicks : 0;
        var recordFlags = HistoryRecordCodec.NoFlags;
        for (var i = 0; i < added; i++)
        {
            history.AddInteraction(format == FormatVersion
                ? HistoryRecordCodec.ReadCompact(body, ref at, ref ticks, ref recordFlags)
                : HistoryRecordCodec.Read(body, ref at, ref ticks));
        }
        var schedule = activity.Schedule;
        if ((flags & PendingChangesSet) != 0) schedule.PendingChanges = checked((int)HistoryRecordCodec.UnZigZag(HistoryRecordCodec.ReadVarint(body, ref at)));
        if ((flags & PendingSinceSet) != 0) schedule.PendingSince = ReadTime(body, ref at);
        if ((flags & RequestedAtSet) != 0) schedule.RequestedAt = ReadTime(body, ref at);
        if ((flags & OlderIdsArrivedAtSet) != 0) history.RestoreOlderIdsArrivedAt(olderIdsArrivedAt + HistoryRecordCodec.UnZigZag(HistoryRecordCodec.ReadVarint(body, ref at)));
        if (at != body.Length) throw new FormatException("A user activity chunk has bytes left over.");
    }

    /// <summary>0 for none; else 1 and the instant (<see cref="WriteInstant"/>).</summary>
    private static int WriteTime(Span<byte> span, DateTimeOffset? time)
    {
        span[0] = time.HasValue ? (byte)1 : (byte)0;
        return time is { } t ? 1 + WriteInstant(span[1..], t) : 1;
    }

    private static DateTimeOffset? ReadTime(ReadOnlySpan<byte> body, ref int at) => body[at++] == 0 ? null : ReadInstant(body, ref at);

    /// <summary>The UTC ticks and the offset in minutes (zigzag varints).</summary>
    internal static int WriteInstant(Span<byte> span, DateTimeOffset time)
    {
        var at = HistoryRecordCodec.WriteVarint(span, HistoryRecordCodec.ZigZag(time.UtcTicks));
        return at + HistoryRecordCodec.WriteVarint(span[at..], HistoryRecordCodec.ZigZag(time.TotalOffsetMinutes));
    }

    internal static DateTimeOffset ReadInstant(ReadOnlySpan<byte> body, ref int at)
    {
        var ticks = HistoryRecordCodec.UnZigZag(HistoryRecordCodec.ReadVarint(body, ref at));
        var offset = TimeSpan.FromMinutes(HistoryRecordCodec.UnZigZag(HistoryRecordCodec.ReadVarint(body, ref at)));
        return new DateTimeOffset(ticks + offset.Ticks, offset);
    }

    /// <summary>The same instant and offset (DateTimeOffset's own equality ignores the offset, which a replay must restore too).</summary>
    internal static bool Same(DateTimeOffset? a, DateTimeOffset? b) => a is { } x ? b is { } y && x.EqualsExact(y) : b is null;
}

/// <summary>The values of a <see cref="UserActivity"/> a write sets rather than adds to: a chunk carries those that changed.</summary>
public readonly record struct ActivityScalars(int PendingChanges, DateTimeOffset? PendingSince, DateTimeOffset? RequestedAt, long OlderIdsArrivedAt)
{
    public static ActivityScalars Of(UserActivity activity) => new(
        activity.Schedule.PendingChanges, activity.Schedule.PendingSince, activity.Schedule.RequestedAt, activity.History.OlderIdsArrivedAt);

    // Offsets count too: a replay restores the times exactly as they were set.
    public bool Equals(ActivityScalars other) => PendingChanges == other.PendingChanges && OlderIdsArrivedAt == other.OlderIdsArrivedAt
        && ActivityLogCodec.Same(PendingSince, other.PendingSince) && ActivityLogCodec.Same(RequestedAt, other.RequestedAt);

    public override int GetHashCode() => HashCode.Combine(PendingChanges, PendingSince, RequestedAt, OlderIdsArrivedAt);
}
