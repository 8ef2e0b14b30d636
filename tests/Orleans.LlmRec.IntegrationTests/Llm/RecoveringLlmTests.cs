using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Testing.OpenAiStub;

namespace Orleans.LlmRec.IntegrationTests.Llm;

/// <summary>
/// The whole circuit cycle through the service: the LLM fails until the circuit opens, then it answers again, and after
/// the break the circuit closes and feeds are re-ranked again. No feed request fails at any point.
/// </summary>
[Collection(RecoveringLlm.Name)]
public sealed class RecoveringLlmTests(RecoveringLlmFixture fixture)
{
    [Fact]
    public async Task The_circuit_opens_on_failures_and_closes_once_the_LLM_answers_again()
    {
        fixture.Llm.OnRerank = _ => ScriptedReply.ServerError();
        var seed = fixture.ItemWithGenres(2, 11);
        var round = 0;
        await Eventually.Until(async () =>
        {
            var user = $"llm-recovering-{round++}";
            await fixture.ClickAsync(user, seed);
            var feed = await fixture.Api.GetFeedAsync(user, "k=20");
            Assert.NotEqual(FeedSource.Fallback, feed.Source);
            return fixture.Silo.Status.CircuitState;
        }, state => state == LlmCircuitState.Open, "the circuit to open");

        // The LLM is back. After the break the next call probes it, succeeds, and the circuit closes.
        fixture.Llm.OnRerank = call => ScriptedLlm.Scores(call.Inverted()).After(TimeSpan.FromMilliseconds(10));
        var feed = await Eventually.Until(async () =>
        {
            var user = $"llm-recovered-{round++}";
            await fixture.ClickAsync(user, seed);
            await fixture.Api.GetFeedAsync(user, "k=20");
            await fixture.Silo.Queue.WhenIdleAsync();
            return await fixture.Api.GetFeedAsync(user, "k=20&explain=true");
        }, f => f.Source == FeedSource.Reranked, "a re-ranked feed after the LLM recovered");

        Assert.Equal(LlmCircuitState.Closed, fixture.Silo.Status.CircuitState);
        Assert.True(fixture.Silo.Status.IsAvailable);
        Assert.False(feed.Degraded);
        Assert.All(feed.Items, item => Assert.Equal("reranked", item.Explanation!.Stage));
    }
}
