using System.Globalization;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Silo.Ingestion;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>Per-user order, chunked acknowledgements and giving up on stream entries, with fakes for Redis and the grains.</summary>
public class PerUserOrderedApplierTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    /// <summary>Everything the applier did, in order: "apply a1,a2", "ack a1,a2", "dead a1: reason".</summary>
    private sealed class Journal
    {
        private readonly List<string> _lines = [];

        public void Add(string line)
        {
            lock (_lines) _lines.Add(line);
        }

        public List<string> Lines
        {
            get { lock (_lines) return [.. _lines]; }
        }
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class JournalSink(Journal journal) : IDeadLetterSink
    {
        public Task SetAsideAsync(IReadOnlyList<RejectedEntry> rejected)
        {
            foreach (var r in rejected) journal.Add($"dead {r.Entry.Id}: {r.Reason}");
            return Task.CompletedTask;
        }
    }

    private static StreamEvent Event(string userId, string eventId) => new(
        new StreamEntry(eventId, [new NameValueEntry("eventId", eventId)]),
        new UserEvent { EventId = eventId, UserId = userId, ItemId = "1", Type = UserEventType.Click, Timestamp = DateTimeOffset.UnixEpoch.AddDays(1) });

    private static PerUserOrderedApplier Applier(Journal journal, Func<IReadOnlyList<UserEvent>, Task> apply, ApplyRetries? retries = null, TimeProvider? time = null) => new(
        async (events, _) =>
        {
            await apply(events);
            journal.Add("apply " + string.Join(",", events.Select(e => e.EventId)));
        },
        ids =>
        {
            journal.Add("ack " + string.Join(",", ids));
            return Task.CompletedTask;
        },
        new JournalSink(journal),
        retries ?? new ApplyRetries(5, TimeSpan.FromSeconds(5)),
        time ?? TimeProvider.System,
        maxReadsInFlight: 4,
        readCount: 100);

    private static async Task EventuallyAsync(Func<bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not within {Patience.TotalSeconds} s: {what}");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task A_users_part_of_a_later_read_waits_for_their_part_of_an_earlier_one_while_other_users_go_ahead()
    {
        var journal = new Journal();
        var aliceFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var applier = Applier(journal, events => events[0].EventId == "a1" ? aliceFirst.Task : Task.CompletedTask);

        applier.Start([Event("alice", "a1"), Event("bob", "b1")], CancellationToken.None);
        applier.Start([Event("alice", "a2"), Event("carol", "c1")], CancellationToken.None);
        Assert.Equal(2, applier.InFlight);

        await EventuallyAsync(() => journal.Lines.Contains("ack c1") && journal.Lines.Contains("ack b1"), "bob's and carol's events were applied");
        Assert.DoesNotContain("apply a2", journal.Lines);

        aliceFirst.SetResult();
        await applier.DrainAsync(throwOnFailure: true);
        var alice = journal.Lines.Where(l => l.Contains(" a", StringComparison.Ordinal)).ToList();
        Assert.Equal(["apply a1", "ack a1", "apply a2", "ack a2"], alice);
        Assert.Equal(0, applier.InFlight);
    }

    [Fact]
    public async Task Later_reads_of_a_user_whose_part_is_still_waiting_join_it_and_are_applied_and_acknowledged_together_in_order()
    {
        var journal = new Journal();
        var aliceFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var applier = Applier(journal, events => events[0].EventId == "a1" ? aliceFirst.Task : Task.CompletedTask);

        applier.Start([Event("alice", "a1")], CancellationToken.None);
        applier.Start([Event("alice", "a2"), Event("bob", "b1")], CancellationToken.None);
        applier.Start([Event("bob", "b2"), Event("alice", "a3")], CancellationToken.None);
        Assert.Equal(3, applier.InFlight);
        await EventuallyAsync(() => journal.Lines.Contains("ack b2"), "bob's events were applied");

        // Alice's second and third reads wait as one part behind the first, which is held.
        Assert.DoesNotContain(journal.Lines, l => l.Contains("a2", StringComparison.Ordinal) || l.Contains("a3", StringComparison.Ordinal));
        aliceFirst.SetResult();
        await applier.DrainAsync(throwOnFailure: true);
        var alice = journal.Lines.Where(l => l.Contains(" a", StringComparison.Ordinal)).ToList();
        Assert.Equal(["apply a1", "ack a1", "apply a2,a3", "ack a2,a3"], alice);
        // A part that has started takes no more: bob's second read came after his first was applied, so it is its own.
        Assert.Equal(["apply b1", "ack b1", "apply b2", "ack b2"], journal.Lines.Where(l => l.Contains(" b", StringComparison.Ordinal)));
        Assert.Equal(0, applier.InFlight);
    }

    [Fact]
    public async Task A_users_events_are_acknowledged_in_chunks_each_right_after_it_was_applied()
    {
        var journal = new Journal();
        var applier = Applier(journal, _ => Task.CompletedTask);
        var count = 2 * PerUserOrderedApplier.MaxUnacknowledgedPerUser + 10;
        var events = Enumerable.Range(0, count).Select(i => Event("alice", $"{i.ToString(CultureInfo.InvariantCulture)}-0")).ToList();

        applier.Start(events, CancellationToken.None);
        await applier.DrainAsync(throwOnFailure: true);

        var chunks = events.Chunk(PerUserOrderedApplier.MaxUnacknowledgedPerUser).Select(c => string.Join(",", c.Select(e => e.Entry.Id))).ToList();
        Assert.Equal(3, chunks.Count);
        Assert.Equal(chunks.SelectMany(c => new[] { $"apply {c}", $"ack {c}" }), journal.Lines);
    }

    [Fact]
    public async Task Entries_that_keep_failing_stay_pending_until_given_up_then_are_set_aside_with_the_reason_and_acknowledged()
    {
        var journal = new Journal();
        var clock = new ManualClock(new DateTimeOffset(2025, 6, 7, 8, 0, 0, TimeSpan.Zero));
        var retries = new ApplyRetries(maxAttempts: 3, minSpan: TimeSpan.FromSeconds(5));
        var applier = Applier(journal, _ => throw new InvalidOperationException("state cannot be read"), retries, clock);

        for (var attempt = 1; attempt <= 3; attempt++)
        {
            applier.Start([Event("damaged", "1-0"), Event("damaged", "2-0")], CancellationToken.None);
            await Assert.ThrowsAsync<InvalidOperationException>(() => applier.DrainAsync(throwOnFailure: true));
            clock.Now += TimeSpan.FromSeconds(1);
        }
        Assert.Empty(journal.Lines);

        clock.Now += TimeSpan.FromSeconds(5);
        applier.Start([Event("damaged", "1-0"), Event("damaged", "2-0")], CancellationToken.None);
        await applier.DrainAsync(throwOnFailure: true);

        const string reason = "not applied after 4 attempts: InvalidOperationException: state cannot be read";
        Assert.Equal([$"dead 1-0: {reason}", $"dead 2-0: {reason}", "ack 1-0,2-0"], journal.Lines);
        Assert.Equal(0, retries.Tracked);
    }

    [Fact]
    public async Task Outages_are_retried_for_as_long_as_they_last_and_never_counted()
    {
        var journal = new Journal();
        var clock = new ManualClock(new DateTimeOffset(2025, 6, 7, 8, 0, 0, TimeSpan.Zero));
        var retries = new ApplyRetries(maxAttempts: 1, minSpan: TimeSpan.Zero);
        var applier = Applier(journal, _ => throw new TimeoutException("silo busy"), retries, clock);

        for (var attempt = 0; attempt < 5; attempt++)
        {
            applier.Start([Event("alice", "1-0")], CancellationToken.None);
            await Assert.ThrowsAsync<TimeoutException>(() => applier.DrainAsync(throwOnFailure: true));
            clock.Now += TimeSpan.FromHours(1);
        }
        Assert.Empty(journal.Lines);
        Assert.Equal(0, retries.Tracked);
    }

    [Fact]
    public async Task A_failed_read_surfaces_when_waiting_for_room_after_the_others_settled()
    {
        var journal = new Journal();
        var slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var applier = Applier(journal, events => events[0].UserId switch
        {
            "broken" => Task.FromException(new TimeoutException()),
            "slow" => slow.Task,
            _ => Task.CompletedTask,
        });
        applier.Start([Event("slow", "1-0")], CancellationToken.None);
        applier.Start([Event("broken", "2-0")], CancellationToken.None);

        var waiting = applier.WaitForRoomAsync();
        Assert.False(waiting.IsCompleted);
        slow.SetResult();
        await Assert.ThrowsAsync<TimeoutException>(() => waiting);
        Assert.Equal(["apply 1-0", "ack 1-0"], journal.Lines);
        Assert.Equal(0, applier.InFlight);
    }
}
