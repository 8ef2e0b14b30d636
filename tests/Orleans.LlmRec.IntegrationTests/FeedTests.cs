using System.Net;
using System.Net.Http.Json;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.IntegrationTests.Infrastructure;

namespace Orleans.LlmRec.IntegrationTests;

[Collection(ServiceOverRedis.Name)]
public class FeedTests(ServiceFixture service)
{
    private static string NewUser(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    [Fact]
    public async Task A_cold_user_gets_the_most_popular_items_and_that_is_not_an_error()
    {
        var feed = await service.GetFeedAsync(NewUser("cold"), "k=15");
        Assert.Equal(FeedSource.Fallback, feed.Source);
        Assert.False(feed.Degraded);
        Assert.Contains("cold start", feed.Note, StringComparison.Ordinal);
        Assert.Equal(service.World.PopularItems().Take(15), feed.Items.Select(i => i.ItemId));
        Assert.All(feed.Items, i => Assert.False(string.IsNullOrEmpty(i.Title)));

        var user = await service.GetUserAsync(NewUser("cold"));
        Assert.Empty(user.RecentInteractions);
        Assert.Equal(0, user.TotalInteractions);
    }

    [Fact]
    public async Task A_click_over_HTTP_lifts_the_clicked_items_neighbours_and_removes_the_item()
    {
        var userId = NewUser("click");
        var before = await service.GetFeedAsync(userId, "k=10");
        var clicked = before.Items[3].ItemId;
        var similar = await service.GetSimilarAsync(clicked, 10);
        // The 10th nearest item's similarity: the top 10 of a feed built from this one click must be at least as close.
        var threshold = similar.Items[^1].Score - 1e-4f;
        Assert.Equal(service.World.Similarity(clicked, similar.Items[0].ItemId), similar.Items[0].Score, 4);
        var closeBefore = CountClose(clicked, before.Items.Select(i => i.ItemId), threshold);

        var ingest = await service.PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), userId, clicked));
        Assert.Equal(1, ingest.Accepted);

        var after = await service.GetFeedAsync(userId, "k=10");
        Assert.Equal(FeedSource.Model, after.Source);
        Assert.False(after.Degraded);
        Assert.DoesNotContain(after.Items, i => i.ItemId == clicked);
        var closeAfter = CountClose(clicked, after.Items.Select(i => i.ItemId), threshold);
        Assert.Equal(10, closeAfter);
        Assert.True(closeBefore < closeAfter, $"{closeBefore} of the popular items were already neighbours of {clicked}");
        Assert.All(after.Items, i => Assert.NotEmpty(service.World.GenresOf(i.ItemId).Intersect(service.World.GenresOf(clicked))));
    }

    [Fact]
    public async Task A_dislike_removes_an_item_from_the_feed_and_is_remembered()
    {
        var userId = NewUser("dislike");
        var liked = service.World.PopularItems()[0];
        await service.PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), userId, liked, "like"));
        var feed = await service.GetFeedAsync(userId, "k=10");
        var disliked = feed.Items[0].ItemId;

        await service.PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), userId, disliked, "dislike"));
        var after = await service.GetFeedAsync(userId, "k=10");
        Assert.DoesNotContain(after.Items, i => i.ItemId == disliked);
        Assert.Contains(disliked, (await service.GetUserAsync(userId)).DislikedItems);
    }

    [Fact]
    public async Task Excluded_items_are_left_out_and_explanations_say_why_items_are_there()
    {
        var userId = NewUser("explain");
        var clicked = service.World.PopularItems()[5];
        await service.PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), userId, clicked, "like"));
        var full = await service.GetFeedAsync(userId, "k=10");
        var excluded = full.Items.Take(3).Select(i => i.ItemId).ToList();

        var feed = await service.GetFeedAsync(userId, $"k=10&explain=true&exclude={string.Join(',', excluded)}");
        Assert.Equal(10, feed.Items.Count);
        Assert.Empty(feed.Items.Select(i => i.ItemId).Intersect(excluded));
        Assert.Equal(full.Items.Skip(3).Select(i => i.ItemId), feed.Items.Take(7).Select(i => i.ItemId));
        Assert.All(feed.Items, i =>
        {
            var explanation = Assert.IsType<FeedExplanation>(i.Explanation);
            Assert.Equal("model", explanation.Stage);
            Assert.Equal(i.Score, explanation.ModelScore);
            Assert.Contains("closest to", explanation.Reason, StringComparison.Ordinal);
        });
        Assert.All(full.Items, i => Assert.Null(i.Explanation));
    }

    [Fact]
    public async Task Repeated_reads_of_a_cached_feed_answer_each_request_as_asked_and_a_click_still_changes_it()
    {
        var userId = NewUser("repeat");
        await service.PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), userId, service.World.PopularItems()[2], "like"));
        var path = $"/v1/users/{userId}/feed?k=8";
        var first = await service.Client.GetAsync(path);
        var firstBytes = await first.Content.ReadAsByteArrayAsync();
        var firstBody = System.Text.Encoding.UTF8.GetString(firstBytes);
        // Answered whole, with its length (the body is kept serialised between reads of the same cached feed).
        Assert.Equal(firstBytes.Length, first.Content.Headers.ContentLength);
        Assert.Equal("application/json", first.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"source\":\"model\"", firstBody, StringComparison.Ordinal);

        // Other shapes of request in between must neither change nor borrow the cached answer.
        var four = await service.GetFeedAsync(userId, "k=4");
        var explained = await service.GetFeedAsync(userId, "k=8&explain=true");
        var excluding = await service.GetFeedAsync(userId, $"k=8&exclude={four.Items[0].ItemId}");
        Assert.Equal(4, four.Items.Count);
        Assert.All(explained.Items, i => Assert.NotNull(i.Explanation));
        Assert.DoesNotContain(excluding.Items, i => i.ItemId == four.Items[0].ItemId);
        Assert.Equal(firstBody, await service.Client.GetStringAsync(path));
        Assert.Equal(firstBody, await service.Client.GetStringAsync(path));

        var clicked = four.Items[0].ItemId;
        await service.PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), userId, clicked));
        var after = await service.GetFeedAsync(userId, "k=8");
        Assert.DoesNotContain(after.Items, i => i.ItemId == clicked);
        Assert.Equal(await service.Client.GetStringAsync(path), await service.Client.GetStringAsync(path));
        Assert.DoesNotContain($"\"itemId\":\"{clicked}\"", await service.Client.GetStringAsync(path), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_holding_the_current_feed_gets_304_until_a_click_changes_it()
    {
        var userId = NewUser("etag");
        await service.PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), userId, service.World.PopularItems()[4], "like"));
        var path = $"/v1/users/{userId}/feed?k=6";
        using var first = await service.Client.GetAsync(path);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);
        Assert.True(first.Headers.CacheControl?.NoCache);
        var firstItems = (await first.Content.ReadFromJsonAsync<Feed>(ServiceFixture.Json))!.Items.Select(i => i.ItemId).ToList();

        Assert.Equal(HttpStatusCode.NotModified, (await GetAsync(path, etag.Tag)).StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, (await GetAsync(path, $"\"other\", W/{etag.Tag}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, (await GetAsync(path, "*")).StatusCode);
        using var notModified = await GetAsync(path, etag.Tag);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, notModified.Headers.ETag);
        // Another shape of request is another body, with its own tag.
        using var shorter = await GetAsync($"/v1/users/{userId}/feed?k=5", etag.Tag);
        Assert.Equal(HttpStatusCode.OK, shorter.StatusCode);
        Assert.NotEqual(etag, shorter.Headers.ETag);

        await service.PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), userId, firstItems[0]));
        using var changed = await GetAsync(path, etag.Tag);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(etag, changed.Headers.ETag);
        Assert.DoesNotContain((await changed.Content.ReadFromJsonAsync<Feed>(ServiceFixture.Json))!.Items, i => i.ItemId == firstItems[0]);
    }

    private async Task<HttpResponseMessage> GetAsync(string path, string ifNoneMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return await service.Client.SendAsync(request);
    }

    [Fact]
    public async Task A_user_of_the_training_data_starts_from_their_history()
    {
        // A user whose whole training history fits the grain's history window.
        var userId = service.World.Dataset.Users.ExternalIds.First(u => service.World.ItemsOf(u).Count <= 150);
        var feed = await service.GetFeedAsync(userId, "k=20");
        Assert.Equal(FeedSource.Model, feed.Source);
        Assert.Empty(feed.Items.Select(i => i.ItemId).Intersect(service.World.ItemsOf(userId)));
        Assert.NotEmpty((await service.GetUserAsync(userId)).RecentInteractions);
    }

    [Fact]
    public async Task Similar_items_share_the_items_genres()
    {
        var itemId = service.World.PopularItems()[0];
        var similar = await service.GetSimilarAsync(itemId, 5);
        Assert.Equal(FeedSource.Model, similar.Source);
        Assert.Equal(5, similar.Items.Count);
        Assert.DoesNotContain(similar.Items, i => i.ItemId == itemId);
        Assert.All(similar.Items, i => Assert.NotEmpty(service.World.GenresOf(i.ItemId).Intersect(service.World.GenresOf(itemId))));
        Assert.Equal(similar.Items.OrderByDescending(i => i.Score).Select(i => i.ItemId), similar.Items.Select(i => i.ItemId));
    }

    [Fact]
    public async Task Preferences_are_stored_and_shown_with_the_user()
    {
        var userId = NewUser("prefs");
        using var response = await service.Client.PutAsync($"/v1/users/{userId}/preferences",
            new StringContent("""{"preferences":"  slow-burn thrillers, no horror  "}""", System.Text.Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
        Assert.Equal("slow-burn thrillers, no horror", (await service.GetUserAsync(userId)).Preferences);
    }

    private int CountClose(string itemId, IEnumerable<string> items, float threshold) =>
        items.Count(i => service.World.Similarity(itemId, i) >= threshold);
}
