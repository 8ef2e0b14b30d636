using Orleans.LlmRec.IntegrationTests.Infrastructure;

namespace Orleans.LlmRec.IntegrationTests;

[Collection(ServiceOverRedis.Name)]
public class EventsTests(ServiceFixture service)
{
    [Fact]
    public async Task An_event_id_is_applied_once_however_often_it_is_sent()
    {
        var userId = $"dup-{Guid.NewGuid():N}";
        var items = service.World.PopularItems();
        var batch = new[]
        {
            ServiceFixture.Event("a", userId, items[0]),
            ServiceFixture.Event("b", userId, items[1], "view"),
            ServiceFixture.Event("c", userId, items[2], "rating", 4.5f),
        };
        var first = await service.PostEventsAsync(batch);
        Assert.Equal((3, 0, 1), (first.Accepted, first.Duplicates, first.Users));

        var again = await service.PostEventsAsync(batch);
        Assert.Equal((0, 3), (again.Accepted, again.Duplicates));

        var withinBatch = await service.PostEventsAsync(ServiceFixture.Event("d", userId, items[3]), ServiceFixture.Event("d", userId, items[4]));
        Assert.Equal((1, 1), (withinBatch.Accepted, withinBatch.Duplicates));

        var user = await service.GetUserAsync(userId);
        Assert.Equal(4, user.TotalInteractions);
        Assert.Equal([items[3], items[2], items[1], items[0]], user.RecentInteractions.Select(i => i.ItemId));
        Assert.Equal(4.5f, user.RecentInteractions[1].Value);
    }

    [Fact]
    public async Task Concurrent_requests_for_one_user_each_get_their_own_counts_and_apply_every_event_once()
    {
        // Requests for one user queue at their grain; each must be answered with its own counts, and an id sent by
        // several concurrent requests is applied by exactly one of them.
        var userId = $"concurrent-{Guid.NewGuid():N}";
        var items = service.World.PopularItems();
        var requests = Enumerable.Range(0, 12)
            .Select(r => service.PostEventsAsync(
                ServiceFixture.Event($"e{r}", userId, items[r]),
                ServiceFixture.Event($"e{r % 4}", userId, items[r % 4]),
                ServiceFixture.Event($"shared", userId, items[20])))
            .ToList();
        var results = await Task.WhenAll(requests);
        // 12 distinct ids e0..e11 plus "shared": 13 events applied, whatever the interleaving; the rest are duplicates.
        Assert.Equal(13, results.Sum(r => r.Accepted));
        Assert.Equal(36 - 13, results.Sum(r => r.Duplicates));
        Assert.All(results, r => Assert.Equal(3, r.Accepted + r.Duplicates));
        var user = await service.GetUserAsync(userId);
        Assert.Equal(13, user.TotalInteractions);
        Assert.Equal(items.Take(12).Append(items[20]).Order(), user.RecentInteractions.Select(i => i.ItemId).Order());
    }

    [Fact]
    public async Task A_batch_is_grouped_per_user_and_each_user_gets_their_own_events()
    {
        var alice = $"alice-{Guid.NewGuid():N}";
        var bob = $"bob-{Guid.NewGuid():N}";
        var items = service.World.PopularItems();
        var result = await service.PostEventsAsync(
            ServiceFixture.Event("1", alice, items[0]),
            ServiceFixture.Event("1", bob, items[1]),
            ServiceFixture.Event("2", alice, items[2], "like"));
        // Ids are de-duplicated per user: the same id for two users is two events.
        Assert.Equal((3, 0, 2), (result.Accepted, result.Duplicates, result.Users));
        Assert.Equal([items[2], items[0]], (await service.GetUserAsync(alice)).RecentInteractions.Select(i => i.ItemId));
        Assert.Equal([items[1]], (await service.GetUserAsync(bob)).RecentInteractions.Select(i => i.ItemId));
    }

    [Fact]
    public async Task Health_and_the_OpenAPI_document_are_served()
    {
        Assert.Equal("Healthy", await service.Client.GetStringAsync("/health"));

        using var document = System.Text.Json.JsonDocument.Parse(await service.Client.GetStringAsync("/openapi/v1.json"));
        var paths = document.RootElement.GetProperty("paths");
        foreach (var path in new[] { "/v1/users/{userId}/feed", "/v1/events", "/v1/users/{userId}", "/v1/users/{userId}/preferences", "/v1/items/{itemId}/similar" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"OpenAPI document lacks {path}");
        }
        var getFeed = paths.GetProperty("/v1/users/{userId}/feed").GetProperty("get");
        Assert.Equal("GetFeed", getFeed.GetProperty("operationId").GetString());
        // The feed's body is written as pre-serialised bytes; the document must still describe it as a Feed.
        var feedSchema = getFeed.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema");
        Assert.Equal("#/components/schemas/Feed", feedSchema.GetProperty("$ref").GetString());
        Assert.True(getFeed.GetProperty("responses").TryGetProperty("400", out _));
    }
}
