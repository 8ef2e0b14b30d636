using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Testing.OpenAiStub;

namespace Orleans.LlmRec.IntegrationTests.Llm;

/// <summary>A model that answers 500 to everything: the circuit opens, calls stop reaching it, and no feed fails.</summary>
[Collection(FailingLlm.Name)]
public sealed class FailingLlmTests(FailingLlmFixture fixture)
{
    [Fact]
    public async Task Repeated_500s_open_the_circuit_and_no_feed_request_fails_because_of_the_LLM()
    {
        fixture.Llm.OnRerank = _ => ScriptedReply.ServerError();
        fixture.Llm.OnProfile = _ => ScriptedReply.ServerError();
        var seed = fixture.ItemWithGenres(2, 11);

        // Every feed request succeeds (ServiceClient asserts 2xx) while the LLM fails underneath.
        var round = 0;
        await Eventually.Until(async () =>
        {
            var user = $"llm-failing-{round++}";
            await fixture.ClickAsync(user, seed);
            var feed = await fixture.Api.GetFeedAsync(user, "k=20");
            Assert.Equal(FeedSource.Model, feed.Source);
            Assert.DoesNotContain(feed.Items, i => i.ItemId == seed);
            return fixture.Silo.Status.CircuitState;
        }, state => state == LlmCircuitState.Open, "the circuit to open");
        Assert.False(fixture.Silo.Status.IsAvailable);
        Assert.Contains(fixture.Silo.Logs.Entries, e => e.Message.StartsWith("LLM circuit opened", StringComparison.Ordinal));
        Assert.Equal("Degraded", await fixture.Silo.Client.GetStringAsync("/health"));

        // While open, feeds are served, labelled, and no call reaches the server.
        await fixture.Silo.Queue.WhenIdleAsync();
        var reached = fixture.Llm.Server.RequestCount;
        for (var i = 0; i < 6; i++)
        {
            var user = $"llm-after-open-{i}";
            await fixture.ClickAsync(user, seed);
            var feed = await fixture.Api.GetFeedAsync(user, "k=20&explain=true");
            Assert.Equal(FeedSource.Model, feed.Source);
            Assert.True(feed.Degraded);
            Assert.Contains("circuit Open", feed.Note, StringComparison.Ordinal);
            Assert.Equal(20, feed.Items.Count);
            Assert.All(feed.Items, item => Assert.Equal("model", item.Explanation!.Stage));
        }
        await fixture.Silo.Queue.WhenIdleAsync();
        Assert.Equal(reached, fixture.Llm.Server.RequestCount);
    }
}
