using Orleans.LlmRec.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// A storage write conflict against the real Redis grain storage: another writer changed the user's stored state (its
/// ETag) behind the active grain's back. The grain must re-read and re-apply, not fail the request or lose either write.
/// </summary>
[Collection(ServiceOverRedis.Name)]
public class WriteConflictTests(ServiceFixture service)
{
    [Fact]
    public async Task A_write_that_meets_a_changed_etag_re_reads_and_re_applies()
    {
        var userId = $"conflict-{Guid.NewGuid():N}";
        var items = service.World.PopularItems();
        await service.PostEventsAsync(ServiceFixture.Event("first", userId, items[0]));

        await using var redis = await ConnectionMultiplexer.ConnectAsync(service.Redis.ConnectionString);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var key = Assert.Single(server.Keys(pattern: $"*{userId}*").ToList());
        var database = redis.GetDatabase();
        var storedEtag = (string?)await database.HashGetAsync(key, "etag");
        Assert.False(string.IsNullOrEmpty(storedEtag));
        // Same data, new ETag: what a second writer (a duplicate activation after a partition, an operator's repair)
        // leaves behind. The grain still holds the old ETag.
        await database.HashSetAsync(key, "etag", "written-by-someone-else");

        var result = await service.PostEventsAsync(ServiceFixture.Event("second", userId, items[1]));
        Assert.Equal((1, 0), (result.Accepted, result.Duplicates));

        var user = await service.GetUserAsync(userId);
        Assert.Equal([items[1], items[0]], user.RecentInteractions.Select(i => i.ItemId));
        var etagAfter = (string?)await database.HashGetAsync(key, "etag");
        Assert.NotEqual("written-by-someone-else", etagAfter);
    }
}
