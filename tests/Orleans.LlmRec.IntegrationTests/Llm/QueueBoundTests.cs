using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Llm;

namespace Orleans.LlmRec.IntegrationTests.Llm;

/// <summary>Many users at once in front of a slow model: the silo's LLM queue sheds rather than grows, and feeds flow.</summary>
[Collection(SmallQueue.Name)]
public sealed class QueueBoundTests(SmallQueueFixture fixture)
{
    [Fact]
    public async Task A_burst_of_many_users_never_grows_the_queue_past_its_bound_and_every_feed_is_served()
    {
        fixture.Llm.OnRerank = call => ScriptedLlm.Scores(call.Candidates.ToDictionary(c => c.ItemId, _ => 0.5)).After(TimeSpan.FromMilliseconds(300));
        var queue = fixture.Silo.Queue;
        Assert.Equal(SmallQueueFixture.Capacity, queue.Capacity);

        long shed = 0;
        using var listener = new MeterListener();
        var meter = fixture.Silo.Services.GetRequiredService<LlmMetrics>().Meter;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == "llmrec.llm.queue.shed") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref shed, value));
        listener.Start();

        var maxDepth = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                maxDepth = Math.Max(maxDepth, queue.Count);
                await Task.Delay(1);
            }
        });

        const int users = 40;
        var seeds = Enumerable.Range(0, users).Select(i => fixture.ItemWithGenres(1, i)).ToList();
        var feeds = new Feed[users];
        await Parallel.ForEachAsync(Enumerable.Range(0, users), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            var user = $"llm-burst-{i}";
            await fixture.ClickAsync(user, seeds[i]);
            feeds[i] = await fixture.Api.GetFeedAsync(user, "k=10");
        });
        await queue.WhenIdleAsync();
        await sampling.CancelAsync();
        await sampler;

        Assert.InRange(maxDepth, 1, SmallQueueFixture.Capacity);
        Assert.True(Interlocked.Read(ref shed) > 0, "a burst of 40 re-ranks into 4 places and one slow worker must shed some");
        for (var i = 0; i < users; i++)
        {
            Assert.Equal(10, feeds[i].Items.Count);
            Assert.DoesNotContain(feeds[i].Items, item => item.ItemId == seeds[i]);
            Assert.NotEqual(FeedSource.Fallback, feeds[i].Source);
        }
    }
}
