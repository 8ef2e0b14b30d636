using System.Reflection;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Users;
using Orleans.Storage;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>
/// Issue 15: the activity log's format 3 (a hand-written snapshot, records that share their flags): a typical user
/// under 1 KB in Redis, every kind of record and part round-trips, and values of format 2 (session 7) still read and
/// are rewritten in format 3 by the next write.
/// </summary>
public class ActivityLogFormatTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// What session 7's code stored (format 2) for <see cref="Format2Event"/> 0–215 applied in batches of 210, 3, 1
    /// and 2 (<see cref="ApplyFormat2BatchesAsync"/>): an Orleans-serialized snapshot and three chunks (53 bytes).
    /// </summary>
    private const string Format2Value =
        "ArtoggouKEz88A4gICBAOhwCyAGAyM/m3/ub3xEzDT63n4kQPA6pBwSnmiIFbAZza3UtMTX26ED/AAAwQPwFXcRyEKrkA9IVYqMwET76EU97MB" +
        "I+ilT6nDATPv33JfxwFLbkAyHKJ4BwFZWgOa9fjmgwFqYIYmOmpDAXPvBO3VIwGD4OaeKXcBm25ANVyF1RYwZza3UtMjaq5AMI5+9tPBs+/wAA" +
        "cEAptqazPBypBwhtCgfEMh2mCNwtrs1wHrbkA+MUNa9wH6rkA2MNBfkwID62wIweMCE+eayxIzAiPkuiw8ZwI4mgOXdpuItwJOroQJejZGMgBX" +
        "NrdS0wPsXTtMswAT7ZGKvLMwI+Qx01ynwDtuQDAAaMNmF8BKrkA/8AAEA/cP37BjIFqQffrawxMAamCN9rfF4wBz7GHt0XcAi25APo4fCQcAmq" +
        "5APEEDb8MAo+nxziNiAGc2t1LTExPvOWFxcwDKkHPm/YgXAN9uhAFAjLRHAOquQDcs1loTMPPkMsIYo8ED7/AADgP4bA/oY8ET4EgF4ICnIStu" +
        "QDP5MF3XATlaA5mSif6DAUpgjJftf6MBU+CCGAvCAGc2t1LTIyPovHn5VwF7bkAzFoBEZwGKrkA1HBFlYwGT6CeAmpMBqpB3gSUrYwG6YI2gCf" +
        "T3MctuQDqhdAnXwdquQDBkKQBYM8Hj7/AABwQMdM3BkyHz4JqOWIMCA+stzfaGAGc2t1LTMziaA5FLeMOnAi6uhAHiPMNTAjPnvEGUwwJD4pQ8" +
        "jOMAA+h+w53nABtuQDTUSXfXACquQDlhy9+DADqQeTh85oMwSmCEqazB48BT7/AACYQL3NOeZ8BrbkAwCHVIKhYgVza3UtN6rkA/zKRxIwCD4d" +
        "UVFKMAk+QxOopzAKqQdscELecAv26EB21wJZcAyq5AOhnNHWMA0+wgF/hjAOPl5SEk0wDz7ZMkLFcBC25APHwFUbcxGVoDn9Y0HTLAZza3UtMT" +
        "imCAKcXQYAPBM+/wAA4D9n1HAWMhQ+e+2ZOXAVtuQDr2RZbHAWquQDFk988zAXPgz1574wGKkHg3BziDAZpgjOeZDkcBq25AO4zaR4cBuq5AMY" +
        "plIMMBw+V3B0TyAGc2t1LTI5Pn1S3r0zHj5aIsSbfB+JoDn/AAAwQCOOUV98IOroQAYXyOMwMiE+u+yy2jAiPt4+AuswIz4pK3Z/cCS25AOihA" +
        "SOcACq5ANzZEROMAGpB4GzoQIwAqYIDQGL3iAFc2t1LTM+sp5CZ3AEtuQDjyasBHAFquQD9zKHBTMGPkWXhgE8Bz4Ii4hi2zwIqQf/AACYQNJL" +
        "uHJyCfboQOq+I8lwCqrkAwAOKocwCz7iZFNLMAw+nBmgfzANPqz1ettgBnNrdS0xNLbkA/KijL9wD5WgOVdnLBwwEKYIX6nqIzARPnV5A3UwEj" +
        "7tMkvucxO25AP9uLpjfBSq5AP/AABAP/AGJJQ8FT4C6x/iYTIWqQcw7CMsMBemCB0bb+twGLbkAzM3TvVgBnNrdS0yNarkA1hh+18wGj7m6sFX" +
        "MBs+qp0Q8TAcPmcKqN1wHYmgOTzcXuJwHuroQOhboUUwHz70C1g4MyA+5gvoBzwhPgSkQSZpfCK25AP/AAAwQCLqu3RyI6rkA2SabZUgBnNrdS" +
        "0zNqkHmnAnWjAApgjELaQWMAE+bfgzQnACtuQD+p8ecXADquQDNkomRDAEPtAfSAIwBT5Vuvg4MAapB9pE8aNwB/boQPjrFr5zCKrkA+sayEE8" +
        "CT7/AABwQGWRJBssBnNrdS0xMD4I+j7HaDILPjik9hpwDLbkA/JFGPtwDZWgOYEkbUMwDqYIB8XeHTAPPtO0SvAwED4ousH+cBG25APZax5DcB" +
        "Kq5ANTrupLMBM+yzIq+DAUqQfVhoJwIwZza3UtMjGmCDzesj98FrbkAwDdfGxNfBeq5AP/AABAP7S5dmkyGD4KfiFpMBk+lqOcXzAaPhnYHuVw" +
        "G4mgObmchkBwHOroQLXcmkgwHT5zOQmVMB4+FHaLazAfPijM0lVgBnNrdS0zMrbkA43gqKFwIarkA0ORleEzIqkHj6Dlwzwjpgj/AADgPz6s4n" +
        "I8JD4EzdZ0VnIAtuQDOQDAT3ABquQDXyG1aTACPilicrYwAz5zkJcyMASpB/Vc4YxwBfboQFb1HM1gBXNrdS02quQDOIxsZzAHPm7kJ+kwCD54" +
        "QByiMAk+Q/RSVXMKtuQDNg9XinwLlaA5Bu0UxRw8DKYI/wAAcEAh1wx7Mg0+BtTDaTAOPmXGXO5wD7bkAwFlr/FwEKrkA1iJ5e0gBnNrdS0xNz" +
        "6vMTC+MBKpB6kZApAwE6YI82b1hXAUtuQDfWxV2HAVquQD+Qf9+jAWPrv5UdEzFz55CFhYPBg+/wAAmECRx4SEfBmJoDkAwNqgiHIa6uhAmjrt" +
        "gDAbPhEKApfgIUAZzb3vBU2UVp4N9Sy94CEADUENc2t1LTI2QAUzMkANc2t1LTIxQAUzNEAFMTBABTIz4AGqBgEBYbgi52rgIQCqBiGAABA45P" +
        "433wiBANCIwxAAAADgwQHg4B4NASAGc2t1LTI4Pq3mgPOsAwGAyMi/0fub3xEA6AIVCQIwHT7XheGEcB625ANQLSoZsAN4";

    private readonly InMemoryActivityLogStore _store = new();

    private ActivityLogState Log(string userId = "u", IActivityLogStore? store = null) => new(store ?? _store, FakeStorage<UserActivity>.Serializer, userId);

    /// <summary>Mixed types, ratings, text and numeric ids, times that go back and have milliseconds.</summary>
    private static UserEvent Format2Event(int i) => new()
    {
        EventId = $"e{i}",
        UserId = "u",
        ItemId = i % 11 == 4 ? $"sku-{i % 37}" : (i % 37).ToString(System.Globalization.CultureInfo.InvariantCulture),
        Type = (i % 13) switch { 0 => UserEventType.Dislike, 1 or 2 => UserEventType.Rating, 3 => UserEventType.Like, _ => UserEventType.Click },
        Value = i % 13 is 1 or 2 ? (i % 10) / 2f + 0.25f * (i % 2) : null,
        Timestamp = Start.AddSeconds(i * 31 - (i % 7 == 0 ? 500 : 0)).AddMilliseconds(i % 5 == 0 ? 3 : 0),
    };

    /// <summary>The writes that made <see cref="Format2Value"/>.</summary>
    private static async Task ApplyFormat2BatchesAsync(ActivityLogState log)
    {
        var i = 0;
        foreach (var batch in new[] { 210, 3, 1, 2 })
        {
            log.State.History.Apply([.. Enumerable.Range(i, batch).Select(Format2Event)], Start.AddMinutes(i));
            i += batch;
            log.State.Schedule.PendingChanges += batch;
            log.State.Schedule.PendingSince ??= Start.ToOffset(TimeSpan.FromHours(2));
            if (batch == 1) log.State.Schedule.RequestedAt = Start.AddMinutes(3);
            await log.WriteStateAsync();
        }
    }

    [Fact]
    public async Task A_typical_user_is_a_format_3_value_of_about_eight_bytes_a_click()
    {
        // The state-writes benchmark's typical user: 100 clicks a minute apart on items 1..40,000, in one write.
        var random = new Random(7);
        var log = Log();
        log.State.History.Apply([.. Enumerable.Range(0, 100).Select(i => new UserEvent
        {
            EventId = $"replay-{random.NextInt64():x12}",
            UserId = "u",
            ItemId = (1 + random.Next(40_000)).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Type = UserEventType.Click,
            Timestamp = Start.AddMinutes(i),
        })], Start.AddHours(1));
        log.State.Schedule.PendingChanges = 100;
        log.State.Schedule.PendingSince = Start.AddHours(1);
        await log.WriteStateAsync();
        var value = (await _store.ReadAsync("u"))!;
        Assert.Equal(ActivityLogCodec.FormatVersion, value[0]);
        // Per click: a 2–3 byte item varint (its low bit: same flags as before), a 1-byte time delta, a 4-byte fingerprint;
        // around them: the 9-byte header, one flags byte, the first record's absolute time, totals and the schedule.
        // Under 880 bytes, Redis keeps it in an 896-byte allocation (was 920 bytes in a 1,024-byte one).
        Assert.InRange(value.Length, 700, 830);
        Assert.Equal(value.Length, log.StoredBytes);
        Assert.Equal(0, log.TailBytes);
        // A value of format 1 (a fixed 4-byte snapshot length, before session 7's last change) is not misread.
        byte[] earlier = [1, .. value[1..]];
        var store = new InMemoryActivityLogStore();
        Assert.True(await store.TryReplaceAsync("u", ActivityLogVersion.Absent, earlier));
        await Assert.ThrowsAsync<FormatException>(Log("u", store).ReadStateAsync);
    }

    [Fact]
    public void Every_kind_of_record_and_every_part_round_trips_through_a_snapshot()
    {
        var activity = new UserActivity();
        var history = activity.History;
        // Seeded records have no fingerprint and keep training values.
        history.SeedFrom([
            new RecentInteraction { ItemId = "42", Type = UserEventType.Rating, Value = 4.5f, Timestamp = Start },
            new RecentInteraction { ItemId = "042", Type = UserEventType.Rating, Value = 3.3f, Timestamp = Start.AddTicks(7) },
            new RecentInteraction { ItemId = "café-ü", Type = UserEventType.View, Timestamp = Start.AddMilliseconds(-5) },
        ]);
        history.Apply([
            new UserEvent { EventId = "a", UserId = "u", ItemId = "9999999999999999", Type = UserEventType.Like, Timestamp = new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.FromHours(-5)) },
            new UserEvent { EventId = "b", UserId = "u", ItemId = "dislike-me", Type = UserEventType.Dislike, Timestamp = Start.AddDays(1) },
            new UserEvent { EventId = "c", UserId = "u", ItemId = "7", Type = UserEventType.Dislike, Timestamp = Start.AddDays(1).AddSeconds(1) },
            new UserEvent { EventId = "d", UserId = "u", ItemId = "7", Type = UserEventType.Rating, Value = -1.5f, Timestamp = Start.AddDays(-3) },
        ], Start.AddDays(1));
        activity.Schedule.PendingChanges = -3;
        activity.Schedule.PendingSince = Start.ToOffset(TimeSpan.FromMinutes(330));
        activity.Schedule.RequestedAt = DateTimeOffset.MinValue;

        var value = ActivityLogCodec.Snapshot(5, activity);
        var (read, version, snapshotEnd) = ActivityLogCodec.Read(value, _ => throw new InvalidOperationException("Format 3 needs no Orleans serializer."));
        ActivityLogTests.AssertSame(activity, read);
        Assert.Equal(["dislike-me", "7"], read.History.DislikedItems);
        Assert.True(read.History.SeededFromTrainingData);
        Assert.Equal(new ActivityLogVersion(value.Length, 5), version);
        Assert.Equal(value.Length, snapshotEnd);

        // The older fingerprints and their clock, past the history's 200 records.
        history.Apply([.. Enumerable.Range(0, 230).Select(i => new UserEvent { EventId = $"x{i}", UserId = "u", ItemId = $"{i}", Type = UserEventType.Click, Timestamp = Start.AddHours(i) })], Start.AddDays(2));
        Assert.NotEmpty(history.OlderEventIds);
        ActivityLogTests.AssertSame(activity, ActivityLogCodec.Read(ActivityLogCodec.Snapshot(6, activity), _ => null!).Activity);
        // An empty activity too.
        ActivityLogTests.AssertSame(new UserActivity(), ActivityLogCodec.Read(ActivityLogCodec.Snapshot(7, new UserActivity()), _ => null!).Activity);
    }

    [Fact]
    public void A_snapshot_of_records_far_longer_than_the_writers_first_guess_round_trips_and_is_not_padded()
    {
        // The snapshot is written into a pooled buffer sized for short ids and grown as records need: 200 records of
        // 128-character ids (3 UTF-8 bytes each) and many disliked ones outgrow it several times.
        var activity = new UserActivity();
        var longId = new string('é', 120);
        activity.History.Apply([.. Enumerable.Range(0, 260).Select(i => new UserEvent
        {
            EventId = $"x{i}", UserId = "u", ItemId = $"{longId}{i:D8}", Type = i % 3 == 0 ? UserEventType.Dislike : UserEventType.View,
            Timestamp = Start.AddMinutes(i),
        })], Start.AddDays(1));
        var value = ActivityLogCodec.Snapshot(9, activity);
        var (read, version, snapshotEnd) = ActivityLogCodec.Read(value, _ => null!);
        ActivityLogTests.AssertSame(activity, read);
        Assert.Equal(activity.History.DislikedItems, read.History.DislikedItems);
        Assert.Equal(value.Length, snapshotEnd);
        Assert.Equal(new ActivityLogVersion(value.Length, 9), version);
        // Exactly what was written: the same activity snapshots to the same bytes again.
        Assert.Equal(value, ActivityLogCodec.Snapshot(9, read));
    }

    [Fact]
    public void Every_stored_field_of_the_activity_is_one_the_hand_written_snapshot_knows()
    {
        // ActivitySnapshotCodec writes these by hand: a new [Id] field must be added there (and here).
        static IEnumerable<string> Stored(Type type) => type
            .GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .Where(m => m.GetCustomAttribute<IdAttribute>() is not null)
            .Select(m => $"{type.Name}.{m.Name}");
        Assert.Equal(
            ["UserActivity.History", "UserActivity.Schedule",
             "UserHistory.DislikedItems", "UserHistory.Interactions", "UserHistory.OlderEventIds", "UserHistory.OlderIdsArrivedAt", "UserHistory.SeededFromTrainingData", "UserHistory.TotalInteractions",
             "ProfileSchedule.PendingChanges", "ProfileSchedule.PendingSince", "ProfileSchedule.RequestedAt"],
            [.. Stored(typeof(UserActivity)).Order(StringComparer.Ordinal), .. Stored(typeof(UserHistory)).Order(StringComparer.Ordinal), .. Stored(typeof(ProfileSchedule)).Order(StringComparer.Ordinal)]);
    }

    [Fact]
    public async Task A_format_2_value_reads_as_applied_and_the_next_write_replaces_it_with_a_format_3_snapshot()
    {
        var stored = Convert.FromBase64String(Format2Value);
        Assert.Equal(ActivityLogCodec.OrleansSnapshotFormat, stored[0]);
        Assert.True(await _store.TryReplaceAsync("old", ActivityLogVersion.Absent, stored));
        var expected = Log("new");
        await ApplyFormat2BatchesAsync(expected);

        var log = Log("old");
        await log.ReadStateAsync();
        ActivityLogTests.AssertSame(expected.State, log.State);
        Assert.Equal(stored.Length, log.StoredBytes);
        Assert.Equal(53, log.TailBytes);
        Assert.Equal(0, log.State.History.Apply([Format2Event(12), Format2Event(215)], Start.AddMinutes(220)).Applied);
        var stale = Log("old");
        await stale.ReadStateAsync();

        // An event: not appended to the format-2 value but a format-3 snapshot in its place, conditional on it.
        Assert.Equal(1, log.State.History.Apply([Format2Event(216)], Start.AddMinutes(220)).Applied);
        await log.WriteStateAsync();
        Assert.Equal(1, log.SnapshotsWritten);
        var value = (await _store.ReadAsync("old"))!;
        Assert.Equal(ActivityLogCodec.FormatVersion, value[0]);
        Assert.True(value.Length < stored.Length - 100, $"{value.Length} bytes, was {stored.Length}");
        var read = Log("old");
        await read.ReadStateAsync();
        ActivityLogTests.AssertSame(log.State, read.State);
        // The next write appends; a writer still holding the format-2 version conflicts.
        log.State.History.Apply([Format2Event(217)], Start.AddMinutes(221));
        await log.WriteStateAsync();
        Assert.Equal(1, log.SnapshotsWritten);
        Assert.True(log.TailBytes > 0);
        stale.State.History.Apply([Format2Event(300)], Start.AddMinutes(221));
        await Assert.ThrowsAsync<InconsistentStateException>(stale.WriteStateAsync);
        await read.ReadStateAsync();
        ActivityLogTests.AssertSame(log.State, read.State);
        Assert.Equal(218, read.State.History.TotalInteractions);
    }

    [Fact]
    public async Task Chunks_of_records_that_share_or_change_their_flags_read_back_in_every_split()
    {
        // One record a write, then batches whose records alternate flags, each chunk starting with its own flags.
        var log = Log();
        await log.ReadStateAsync();
        for (var i = 0; i < 40; i += i < 10 ? 1 : 5)
        {
            var count = i < 10 ? 1 : 5;
            log.State.History.Apply([.. Enumerable.Range(i, count).Select(Format2Event)], Start.AddMinutes(i));
            await log.WriteStateAsync();
            var read = Log();
            await read.ReadStateAsync();
            ActivityLogTests.AssertSame(log.State, read.State);
            Assert.Equal(log.Etag, read.Etag);
        }
        Assert.True(log.SnapshotsWritten < 10, $"{log.SnapshotsWritten} snapshots");
    }
}
