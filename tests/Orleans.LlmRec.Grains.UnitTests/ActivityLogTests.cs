using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Users;
using Orleans.Storage;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>Issue 15: a user's activity stored append-style (snapshot + chunks) reads back exactly as it was applied.</summary>
public class ActivityLogTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly InMemoryActivityLogStore _store = new();

    private ActivityLogState Log(string userId = "u") => new(_store, FakeStorage<UserActivity>.Serializer, userId);

    /// <summary>A mix of types (dislikes, ratings, takes-back), repeated items, and times that go back now and then.</summary>
    private static UserEvent Event(int i, string prefix = "e") => new()
    {
        EventId = $"{prefix}{i}",
        UserId = "u",
        ItemId = (i % 37).ToString(System.Globalization.CultureInfo.InvariantCulture),
        Type = (i % 13) switch { 0 => UserEventType.Dislike, 1 or 2 => UserEventType.Rating, 3 => UserEventType.Like, _ => UserEventType.Click },
        Value = i % 13 is 1 or 2 ? (i % 10) / 2f + 0.25f * (i % 2) : null,
        Timestamp = Start.AddSeconds(i * 31 - (i % 7 == 0 ? 500 : 0)).AddMilliseconds(i % 5 == 0 ? 3 : 0),
    };

    /// <summary>Applies <paramref name="events"/> events in batches of <paramref name="batch"/>, writing after each, as the grain does.</summary>
    private static async Task ApplyAsync(ActivityLogState log, int from, int events, int batch, DateTimeOffset arrivedAt)
    {
        for (var i = from; i < from + events; i += batch)
        {
            var count = Math.Min(batch, from + events - i);
            log.State.History.Apply([.. Enumerable.Range(i, count).Select(n => Event(n))], arrivedAt);
            log.State.Schedule.PendingChanges += count;
            log.State.Schedule.PendingSince ??= arrivedAt.ToOffset(TimeSpan.FromHours(2));
            await log.WriteStateAsync();
        }
    }

    internal static void AssertSame(UserActivity expected, UserActivity actual)
    {
        Assert.Equal(expected.History.Interactions, actual.History.Interactions);
        Assert.Equal(expected.History.Interactions.Select(r => r.Timestamp.Offset), actual.History.Interactions.Select(r => r.Timestamp.Offset));
        Assert.Equal(expected.History.OlderEventIds, actual.History.OlderEventIds);
        Assert.Equal(expected.History.DislikedItems, actual.History.DislikedItems);
        Assert.Equal(expected.History.TotalInteractions, actual.History.TotalInteractions);
        Assert.Equal(expected.History.OlderIdsArrivedAt, actual.History.OlderIdsArrivedAt);
        Assert.Equal(expected.History.SeededFromTrainingData, actual.History.SeededFromTrainingData);
        Assert.Equal(expected.Schedule.PendingChanges, actual.Schedule.PendingChanges);
        Assert.True(ActivityLogCodec.Same(expected.Schedule.PendingSince, actual.Schedule.PendingSince));
        Assert.True(ActivityLogCodec.Same(expected.Schedule.RequestedAt, actual.Schedule.RequestedAt));
    }

    [Theory]
    [InlineData(10, 1)]
    [InlineData(100, 1)]
    [InlineData(100, 7)]
    [InlineData(2_000, 1)]
    [InlineData(2_000, 16)]
    public async Task Light_typical_and_heavy_users_read_back_exactly_as_applied(int events, int batch)
    {
        var log = Log();
        await log.ReadStateAsync();
        await ApplyAsync(log, 0, events, batch, Start);

        var read = Log();
        await read.ReadStateAsync();
        AssertSame(log.State, read.State);
        Assert.Equal(log.Etag, read.Etag);
        // Every event sent again is a duplicate for the reader (the newest 1,000 ids are remembered).
        var resent = Enumerable.Range(Math.Max(0, events - UserHistory.EventIdCapacity), Math.Min(events, UserHistory.EventIdCapacity)).Select(n => Event(n)).ToList();
        Assert.Equal(0, read.State.History.Apply(resent, Start).Applied);
        // Bounded: chunks never outgrow the snapshot (or the minimum), and a heavy user's writes are mostly appends.
        Assert.InRange(read.TailBytes, 0, Math.Max(ActivityLogState.MinTailBytes, (read.StoredBytes - read.TailBytes) / ActivityLogState.TailShare));
        if (events == 2_000 && batch == 1) Assert.InRange(log.SnapshotsWritten, 2, events / 10);
    }

    [Fact]
    public async Task Reads_just_before_and_just_after_a_snapshot_rewrite_agree_with_memory()
    {
        var log = Log();
        await ApplyAsync(log, 0, 300, 1, Start);
        var snapshots = log.SnapshotsWritten;
        var i = 300;
        while (log.SnapshotsWritten == snapshots)
        {
            var before = Log();
            await before.ReadStateAsync();
            AssertSame(log.State, before.State);
            await ApplyAsync(log, i++, 1, 1, Start);
        }
        Assert.Equal(0, log.TailBytes);
        var after = Log();
        await after.ReadStateAsync();
        AssertSame(log.State, after.State);
        await ApplyAsync(log, i, 1, 1, Start);
        Assert.InRange(log.TailBytes, 1, 40);
    }

    [Fact]
    public async Task A_click_on_a_full_history_appends_a_few_dozen_bytes()
    {
        var log = Log();
        await ApplyAsync(log, 0, 1_500, 10, Start);
        var stored = log.StoredBytes;
        var tail = log.TailBytes;
        log.State.History.Apply([TestWorld.Event("one-more", "12345")], Start.AddMinutes(1));
        await log.WriteStateAsync();
        if (log.TailBytes > tail) Assert.InRange(log.StoredBytes - stored, 1, 20);
        // Nothing changed since: nothing written.
        var version = log.Etag;
        await log.WriteStateAsync();
        Assert.Equal(version, log.Etag);
    }

    [Fact]
    public async Task Forgetting_older_fingerprints_after_an_idle_hour_is_stored_as_a_snapshot()
    {
        var log = Log();
        await ApplyAsync(log, 0, 400, 20, Start);
        Assert.NotEmpty(log.State.History.OlderEventIds);
        var snapshots = log.SnapshotsWritten;
        await ApplyAsync(log, 400, 1, 1, Start + UserHistory.OlderIdsIdleLimit + TimeSpan.FromMinutes(1));
        // Forgotten, then the fingerprint of the record the new one pushed out of the history.
        Assert.Single(log.State.History.OlderEventIds);
        Assert.Equal(snapshots + 1, log.SnapshotsWritten);

        var read = Log();
        await read.ReadStateAsync();
        AssertSame(log.State, read.State);
    }

    [Fact]
    public async Task A_second_writer_makes_the_first_one_conflict_until_it_re_reads()
    {
        var first = Log();
        await first.ReadStateAsync();
        await ApplyAsync(first, 0, 50, 5, Start);
        var second = Log();
        await second.ReadStateAsync();
        await ApplyAsync(second, 50, 3, 1, Start);

        // An append and a snapshot from an outdated version both fail and change nothing.
        first.State.History.Apply([Event(60)], Start);
        await Assert.ThrowsAsync<InconsistentStateException>(first.WriteStateAsync);
        first.State.History.Apply([.. Enumerable.Range(61, 300).Select(n => Event(n))], Start);
        await Assert.ThrowsAsync<InconsistentStateException>(first.WriteStateAsync);
        var stored = Log();
        await stored.ReadStateAsync();
        AssertSame(second.State, stored.State);

        await first.ReadStateAsync();
        Assert.Equal(53, first.State.History.TotalInteractions);
        first.State.History.Apply([Event(60)], Start);
        await first.WriteStateAsync();
        await stored.ReadStateAsync();
        Assert.Equal(54, stored.State.History.TotalInteractions);
    }

    [Fact]
    public async Task A_user_of_the_earlier_layout_is_read_from_it_once_and_then_written_in_the_log_form()
    {
        // The activity as the earlier layout stored it (an Orleans grain state), read back through the serializer.
        var earlier = new UserActivity();
        earlier.History.Apply([.. Enumerable.Range(0, 30).Select(n => Event(n))], Start);
        earlier.Schedule.PendingChanges = 30;
        var stored = FakeStorage<UserActivity>.Serializer.SerializeToArray(earlier);
        var earlierReads = 0;
        Task<UserActivity?> ReadEarlier()
        {
            earlierReads++;
            return Task.FromResult(FakeStorage<UserActivity>.Serializer.Deserialize<UserActivity>(stored));
        }
        ActivityLogState Converting() => new(_store, FakeStorage<UserActivity>.Serializer, "u", ReadEarlier);

        var log = Converting();
        await log.ReadStateAsync();
        Assert.Equal(1, earlierReads);
        AssertSame(earlier, log.State);
        Assert.True(log.RecordExists);
        Assert.True(log.FromEarlierLayout);
        Assert.Null(await _store.ReadAsync("u"));

        // The next write stores the whole activity in the log's form: the earlier layout is never read again.
        log.State.History.Apply([Event(30)], Start);
        await log.WriteStateAsync();
        Assert.False(log.FromEarlierLayout);
        Assert.Equal(1, log.SnapshotsWritten);
        var read = Converting();
        await read.ReadStateAsync();
        Assert.Equal(1, earlierReads);
        Assert.False(read.FromEarlierLayout);
        Assert.Equal(31, read.State.History.TotalInteractions);
        AssertSame(log.State, read.State);
        Assert.True(read.State.History.HasSeenEvent("e0"));

        // A user in neither layout starts empty and does not exist.
        var none = new ActivityLogState(new InMemoryActivityLogStore(), FakeStorage<UserActivity>.Serializer, "v", () => Task.FromResult<UserActivity?>(null));
        await none.ReadStateAsync();
        Assert.False(none.RecordExists);
        Assert.Equal(0, none.State.History.TotalInteractions);
    }

    [Fact]
    public async Task A_converted_user_s_first_write_fails_when_another_activation_wrote_the_log_first()
    {
        var earlier = FakeStorage<UserActivity>.Serializer.SerializeToArray(new UserActivity());
        ActivityLogState Converting() => new(_store, FakeStorage<UserActivity>.Serializer, "u",
            () => Task.FromResult(FakeStorage<UserActivity>.Serializer.Deserialize<UserActivity>(earlier)));
        var first = Converting();
        var second = Converting();
        await first.ReadStateAsync();
        await second.ReadStateAsync();
        await ApplyAsync(second, 0, 3, 3, Start);
        first.State.History.Apply([Event(10)], Start);
        await Assert.ThrowsAsync<InconsistentStateException>(first.WriteStateAsync);
        await first.ReadStateAsync();
        Assert.False(first.FromEarlierLayout);
        Assert.Equal(3, first.State.History.TotalInteractions);
    }

    [Fact]
    public async Task A_damaged_value_is_a_format_error()
    {
        var log = Log();
        await ApplyAsync(log, 0, 20, 1, Start);
        var value = (await _store.ReadAsync("u"))!;
        byte[][] damaged = [value[..^3], value[..5], [9, .. value[1..]], [.. value, 5, 1], [.. value, 2, 0x40, 0]];
        foreach (var bytes in damaged)
        {
            var store = new InMemoryActivityLogStore();
            Assert.True(await store.TryReplaceAsync("u", ActivityLogVersion.Absent, bytes));
            await Assert.ThrowsAsync<FormatException>(new ActivityLogState(store, FakeStorage<UserActivity>.Serializer, "u").ReadStateAsync);
        }
    }
}
