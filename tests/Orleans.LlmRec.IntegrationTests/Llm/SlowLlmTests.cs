using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.IntegrationTests.Llm;

/// <summary>A model that takes 5 s, or never answers: feeds are served at once all the same, and say what they are.</summary>
[Collection(SlowLlm.Name)]
public sealed class SlowLlmTests(SlowLlmFixture fixture)
{
    [Fact]
    public async Task While_the_LLM_takes_5_s_feeds_are_the_models_and_the_answer_shapes_a_later_one()
    {
        fixture.Llm.OnRerank = call => ScriptedLlm.Scores(call.Inverted()).After(TimeSpan.FromSeconds(5));
        const string user = "llm-slow-user";
        await fixture.ClickAsync(user, fixture.ItemWithGenres(2, 7));

        var first = await fixture.Api.GetFeedAsync(user, "k=50");
        var again = await fixture.Api.GetFeedAsync(user, "k=50");
        Assert.All([first, again], f =>
        {
            Assert.Equal(FeedSource.Model, f.Source);
            Assert.False(f.Degraded);
            Assert.Null(f.Note);
        });
        Assert.Equal(LlmFixture.Ids(first), LlmFixture.Ids(again));

        var reranked = await Eventually.Until(() => fixture.Api.GetFeedAsync(user, "k=50"), f => f.Source == FeedSource.Reranked, "the re-ranked feed");
        Assert.False(reranked.Degraded);
        Assert.Equal(first.Items[^1].ItemId, reranked.Items[0].ItemId);
        // Requests while the call was out did not ask again: one call for this refresh.
        Assert.Single(fixture.Llm.RerankCalls, c => c.Candidates.Select(x => x.ItemId).ToHashSet().SetEquals(first.Items.Select(i => i.ItemId)));
    }

    [Fact]
    public async Task When_the_LLM_never_answers_the_feed_stays_the_models_and_is_labelled_once_the_call_times_out()
    {
        fixture.Llm.OnRerank = call => ScriptedLlm.Scores(call.Inverted()).After(TimeSpan.FromMinutes(10));
        const string user = "llm-silent-user";
        await fixture.ClickAsync(user, fixture.ItemWithGenres(2, 9));

        var first = await fixture.Api.GetFeedAsync(user, "k=30");
        Assert.Equal(FeedSource.Model, first.Source);
        Assert.False(first.Degraded);

        var timedOut = await Eventually.Until(() => fixture.Api.GetFeedAsync(user, "k=30"), f => f.Degraded, "the feed to report the timed-out re-rank");
        Assert.Equal(FeedSource.Model, timedOut.Source);
        Assert.Equal(LlmFixture.Ids(first), LlmFixture.Ids(timedOut));
        Assert.Contains("timeout", timedOut.Note, StringComparison.Ordinal);
    }
}
