using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.Grains.Users;
using Orleans.Serialization;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// A storage write conflict against the real Redis store: another writer changed the user's stored activity (its
/// version) behind the active grain's back. The grain must re-read and re-apply, not fail the request or lose either write.
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
        Assert.EndsWith($"/al/{userId}", key.ToString(), StringComparison.Ordinal);
        var database = redis.GetDatabase();
        var stored = (byte[])(await database.StringGetAsync(key))!;
        // Another writer (a duplicate activation after a partition, an operator's repair) appended an event the active
        // grain has not seen: the grain's next append must find the value changed, re-read it and apply on top.
        var (activity, _, _) = ActivityLogCodec.Read(stored, Deserialize);
        var written = ActivityScalars.Of(activity);
        Assert.True(activity.History.TryRecord(new Abstractions.UserEvent
        {
            EventId = "theirs", UserId = userId, ItemId = items[2], Type = Abstractions.UserEventType.Click, Timestamp = DateTimeOffset.UtcNow.AddMinutes(-1),
        }));
        await database.StringAppendAsync(key, ActivityLogCodec.Chunk(activity, 1, written));

        var result = await service.PostEventsAsync(ServiceFixture.Event("second", userId, items[1]));
        Assert.Equal((1, 0), (result.Accepted, result.Duplicates));

        var user = await service.GetUserAsync(userId);
        Assert.Equal([items[1], items[2], items[0]], user.RecentInteractions.Select(i => i.ItemId));
        await service.RestartSiloAsync();
        Assert.Equal([items[1], items[2], items[0]], (await service.GetUserAsync(userId)).RecentInteractions.Select(i => i.ItemId));
        // The other writer's event is a duplicate for the grain too.
        Assert.Equal(1, (await service.PostEventsAsync(ServiceFixture.Event("theirs", userId, items[2]))).Duplicates);
    }

    private static readonly Orleans.Serialization.Serializer Serializer = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(UserActivity).Assembly))
        .BuildServiceProvider()
        .GetRequiredService<Orleans.Serialization.Serializer>();

    private static UserActivity Deserialize(ReadOnlyMemory<byte> snapshot) => Serializer.Deserialize<UserActivity>(snapshot)!;
}
