using System.Net.Http.Json;
using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.IntegrationTests.Llm;

/// <summary>No endpoint: the service says so at start, re-ranks with TF-IDF inline, and the profile is the user's own words.</summary>
[Collection(LlmOff.Name)]
public sealed class LlmOffTests(LlmOffFixture fixture)
{
    private const string Genre = "Thriller";

    [Fact]
    public async Task The_start_up_log_says_the_LLM_is_off_and_health_is_fine()
    {
        Assert.Contains(fixture.Silo.Logs.Entries, e => e.Message.StartsWith("LLM disabled: no Llm:Endpoint configured", StringComparison.Ordinal));
        Assert.Equal("Healthy", await fixture.Silo.Client.GetStringAsync("/health"));
        Assert.Equal(0, fixture.Llm.Server.RequestCount);
    }

    [Fact]
    public async Task The_TF_IDF_fallback_lifts_items_that_match_the_stated_preferences_and_says_so()
    {
        const string user = "llm-off-user";
        // An item with the genre and another, so the model's candidates mix items with and without it.
        var seed = fixture.World.Dataset.ItemInfo.Values
            .Where(i => i.Genres.Contains(Genre) && i.Genres.Count >= 2)
            .OrderBy(i => i.ExternalId, StringComparer.Ordinal)
            .First().ExternalId;
        using (var put = await fixture.Silo.Client.PutAsJsonAsync($"/v1/users/{user}/preferences", new { preferences = Genre }))
        {
            put.EnsureSuccessStatusCode();
        }
        await fixture.ClickAsync(user, seed);

        var feed = await fixture.Api.GetFeedAsync(user, "k=50&explain=true");
        Assert.Equal(FeedSource.Reranked, feed.Source);
        Assert.False(feed.Degraded);
        Assert.All(feed.Items, i => Assert.StartsWith("tfidf fallback", i.Explanation!.Reason, StringComparison.Ordinal));
        Assert.Contains(feed.Items, i => i.Explanation!.RerankScore == 0f);
        foreach (var item in feed.Items.Where(i => i.Explanation!.RerankScore > 0f))
        {
            var info = fixture.World.Dataset.ItemInfo[fixture.World.Dataset.Items[item.ItemId]];
            Assert.True(info.Genres.Contains(Genre) || info.Title.Contains(Genre, StringComparison.OrdinalIgnoreCase), $"{item.ItemId} scored without the word");
        }
        Assert.Contains(Genre, fixture.World.Dataset.ItemInfo[fixture.World.Dataset.Items[feed.Items[0].ItemId]].Genres);

        // The profile is the preference text, written without a call to anyone.
        var view = await Eventually.Until(() => fixture.Api.GetUserAsync(user), v => v.Profile is not null, "the preference profile");
        Assert.Equal(Genre, view.Profile);
        Assert.Equal("preferences", view.ProfileSource);
        Assert.Equal(0, fixture.Llm.Server.RequestCount);
    }
}
