using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Orleans.LlmRec.IntegrationTests;

[Collection(ServiceOverRedis.Name)]
public class RestartTests(ServiceFixture service, ITestOutputHelper output)
{
    [Fact]
    public async Task State_in_Redis_survives_a_silo_restart_including_the_de_duplication_window()
    {
        var userId = $"restart-{Guid.NewGuid():N}";
        var items = service.World.PopularItems();
        var batch = new[]
        {
            ServiceFixture.Event("r1", userId, items[10], "like"),
            ServiceFixture.Event("r2", userId, items[11], "dislike"),
        };
        await service.PostEventsAsync(batch);
        using (var put = await service.Client.PutAsync($"/v1/users/{userId}/preferences",
            new StringContent("""{"preferences":"short films"}""", System.Text.Encoding.UTF8, "application/json")))
        {
            put.EnsureSuccessStatusCode();
        }
        var feedBefore = await service.GetFeedAsync(userId, "k=10");
        var userBefore = await service.GetUserAsync(userId);

        await service.RestartSiloAsync();

        var userAfter = await service.GetUserAsync(userId);
        Assert.Equal(userBefore.RecentInteractions, userAfter.RecentInteractions);
        Assert.Equal("short films", userAfter.Preferences);
        Assert.Equal([items[11]], userAfter.DislikedItems);
        Assert.Equal(userBefore.EmbeddingModelVersion, userAfter.EmbeddingModelVersion);

        var resent = await service.PostEventsAsync(batch);
        Assert.Equal((0, 2), (resent.Accepted, resent.Duplicates));

        // The cached feed lives in memory (a storage write per rebuilt feed would sit on the feed path), so the new
        // silo rebuilds it; from the same stored interactions it is the same feed.
        var feedAfter = await service.GetFeedAsync(userId, "k=10");
        Assert.Equal(FeedSource.Model, feedAfter.Source);
        Assert.Equal(feedBefore.Items.Select(i => i.ItemId), feedAfter.Items.Select(i => i.ItemId));
        Assert.True(feedAfter.GeneratedAt > feedBefore.GeneratedAt);
    }

    [Fact]
    public async Task A_user_at_every_bound_stays_small_in_Redis()
    {
        var userId = $"heavy-{Guid.NewGuid():N}";
        var items = service.World.PopularItems();
        for (var batch = 0; batch < 3; batch++)
        {
            var events = Enumerable.Range(0, 400)
                .Select(i => ServiceFixture.Event(Guid.NewGuid().ToString(), userId, items[(batch * 400 + i) % items.Count], i % 9 == 0 ? "dislike" : "click"))
                .ToArray();
            Assert.Equal(400, (await service.PostEventsAsync(events)).Accepted);
        }
        using (var put = await service.Client.PutAsync($"/v1/users/{userId}/preferences",
            new StringContent($$"""{"preferences":"{{new string('p', 1000)}}"}""", System.Text.Encoding.UTF8, "application/json")))
        {
            put.EnsureSuccessStatusCode();
        }
        await service.GetFeedAsync(userId, "k=50");

        await using var redis = await ConnectionMultiplexer.ConnectAsync(service.Redis.ConnectionString);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var db = redis.GetDatabase();
        // Two keys: the hot part every event writes, and the settings (preferences, the saved feed).
        var keys = server.Keys(pattern: $"*{userId}*").ToList();
        Assert.Equal(2, keys.Count);
        long bytes = 0;
        foreach (var key in keys)
        {
            bytes += await db.KeyTypeAsync(key) switch
            {
                RedisType.Hash => (await db.HashGetAllAsync(key)).Sum(e => (long)((byte[])e.Name!).Length + ((byte[])e.Value!).Length),
                RedisType.String => await db.StringLengthAsync(key),
                var other => throw new InvalidOperationException($"Unexpected Redis type {other} for {key}"),
            };
        }
        output.WriteLine($"Redis keys {string.Join(", ", keys)}: {bytes:N0} bytes for a user with 1,200 events, 1,000 remembered event ids, 200 history entries and 1,000 characters of preferences (the embedding is not stored; the feed only in compact form)");
        Assert.InRange(bytes, 4_000, 40_000);
    }
}
