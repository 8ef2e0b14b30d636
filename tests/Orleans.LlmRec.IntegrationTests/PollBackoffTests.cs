using Microsoft.Extensions.Time.Testing;
using Orleans.LlmRec.Silo.Catalogue;
using Orleans.LlmRec.Silo.Configuration;
using Orleans.LlmRec.Silo.Ingestion;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>The pauses between polls of a Redis stream or log, on a fake clock: no wall-clock time is involved.</summary>
public sealed class PollBackoffTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    /// <summary>Empty reads in a row, the clock moved on by each pause as the poller would sleep it.</summary>
    private static List<double> EmptyReads(PollBackoff polls, FakeTimeProvider time, int count)
    {
        var pauses = new List<double>();
        for (var i = 0; i < count; i++)
        {
            var pause = polls.Empty();
            pauses.Add(pause.TotalMilliseconds);
            time.Advance(pause);
        }
        return pauses;
    }

    [Fact]
    public void Pauses_double_to_the_busy_ceiling_and_only_after_a_quiet_spell_on_to_the_idle_ceiling()
    {
        var time = new FakeTimeProvider();
        var polls = new PollBackoff(1 * Ms, 50 * Ms, TimeSpan.FromSeconds(1), 500 * Ms, time);

        // 1+2+…+32 = 63 ms, then 50 ms pauses until a second has passed since the last entry (the start counts as one):
        // 63 + 18 × 50 = 963 ms before read 24, 1,013 ms before read 25.
        var pauses = EmptyReads(polls, time, 30);
        Assert.Equal([1, 2, 4, 8, 16, 32], pauses[..6]);
        Assert.All(pauses[6..25], p => Assert.Equal(50, p));
        // Idle now: step by step (100, 200, 400) up to 500, then 500 on.
        Assert.True(polls.IsIdle);
        Assert.Equal([100, 200, 400, 500, 500], pauses[25..]);
    }

    [Fact]
    public void The_first_entry_after_idle_snaps_back_to_reading_at_once_and_the_busy_pauses()
    {
        var time = new FakeTimeProvider();
        var polls = new PollBackoff(1 * Ms, 50 * Ms, TimeSpan.FromSeconds(1), 500 * Ms, time);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(polls.IsIdle);
        Assert.Equal([128, 256, 500, 500, 500], EmptyReads(polls, time, 12)[7..]);

        polls.Found();
        Assert.False(polls.IsIdle);
        Assert.Equal([1, 2, 4, 8, 16, 32, 50, 50], EmptyReads(polls, time, 8));
    }

    [Fact]
    public void A_stream_with_an_entry_more_often_than_the_quiet_spell_is_never_polled_slower_than_the_busy_ceiling()
    {
        var time = new FakeTimeProvider();
        var polls = new PollBackoff(1 * Ms, 50 * Ms, TimeSpan.FromSeconds(1), 500 * Ms, time);
        for (var burst = 0; burst < 20; burst++)
        {
            // 900 ms of empty reads between entries: never a second without one.
            var waited = TimeSpan.Zero;
            while (waited < 900 * Ms)
            {
                var pause = polls.Empty();
                Assert.True(pause <= 50 * Ms, $"paused {pause.TotalMilliseconds} ms after {waited.TotalMilliseconds} ms without an entry");
                time.Advance(pause);
                waited += pause;
            }
            polls.Found();
        }
    }

    [Fact]
    public void An_idle_ceiling_at_or_below_the_busy_one_keeps_the_busy_pauses()
    {
        var time = new FakeTimeProvider();
        var stream = StreamBackoff.Polls(new EventStreamOptions { MinPollDelay = 1 * Ms, MaxPollDelay = 100 * Ms, IdlePollDelay = 20 * Ms, IdlePollAfter = TimeSpan.Zero }, time);
        Assert.All(EmptyReads(stream, time, 20)[7..], p => Assert.Equal(100, p));

        var catalogue = CatalogueLogTailer.Polls(new CatalogueOptions { LogPollInterval = TimeSpan.FromMinutes(1), IdlePollInterval = TimeSpan.FromSeconds(1) }, time);
        Assert.All(EmptyReads(catalogue, time, 5), p => Assert.Equal(60_000, p));
    }

    [Fact]
    public void The_defaults_poll_the_catalogue_log_every_50_ms_while_busy_and_at_most_once_a_second_when_idle()
    {
        var time = new FakeTimeProvider();
        var polls = CatalogueLogTailer.Polls(new CatalogueOptions(), time);
        var pauses = EmptyReads(polls, time, 120);
        Assert.All(pauses[..100], p => Assert.Equal(50, p));
        Assert.Equal([100, 200, 400, 800, 1000, 1000], pauses[100..106]);
        Assert.Equal(1000, pauses[^1]);

        var stream = StreamBackoff.Polls(new EventStreamOptions(), time);
        Assert.Equal(500, EmptyReads(stream, time, 200)[^1]);
        var items = ItemStreamConsumer.ItemStreamPolls(new CatalogueOptions(), time);
        Assert.Equal([5, 10, 20, 40, 50], EmptyReads(items, time, 5));
    }

    [Fact]
    public void Pauses_out_of_order_are_refused()
    {
        var time = new FakeTimeProvider();
        Assert.Throws<ArgumentOutOfRangeException>(() => new PollBackoff(TimeSpan.Zero, 50 * Ms, TimeSpan.Zero, 50 * Ms, time));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PollBackoff(10 * Ms, 5 * Ms, TimeSpan.Zero, 50 * Ms, time));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PollBackoff(1 * Ms, 50 * Ms, TimeSpan.Zero, 20 * Ms, time));
    }
}
