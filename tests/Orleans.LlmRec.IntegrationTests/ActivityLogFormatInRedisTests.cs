using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Silo.Redis;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// Issue 15: a user whose Redis still holds session 7's activity log (format 2, an Orleans-serialized snapshot) keeps
/// their history and de-duplication, and their next write stores format 3 (a hand-written snapshot) in its place.
/// </summary>
[Collection(ServiceOverRedis.Name)]
public class ActivityLogFormatInRedisTests(ServiceFixture service)
{
    [Fact]
    public async Task A_user_stored_in_format_2_is_read_and_rewritten_in_format_3_and_keeps_their_duplicates()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var userId = $"format2-{run}";
        var items = service.World.PopularItems();
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        UserEvent Event(int i) => new() { EventId = $"{run}-{i}", UserId = userId, ItemId = items[i % items.Count], Type = UserEventType.Click, Timestamp = start.AddSeconds(i * 17) };
        var earlier = new UserActivity();
        Assert.Equal(40, earlier.History.Apply([.. Enumerable.Range(0, 40).Select(Event)], start).Applied);
        // Format 2 as session 7 wrote it: format byte, 8-byte epoch, the snapshot's length (2-byte varint), the snapshot.
        var snapshot = service.Silo.Services.GetRequiredService<Orleans.Serialization.Serializer>().SerializeToArray(earlier);
        Assert.InRange(snapshot.Length, 128, 16_383);
        byte[] format2 = [ActivityLogCodec.OrleansSnapshotFormat, .. BitConverter.GetBytes(0x1234_5678_9abc_def0UL),
            (byte)(snapshot.Length | 0x80), (byte)(snapshot.Length >> 7), .. snapshot];
        var serviceId = service.Silo.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.ServiceId;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(service.Redis.ConnectionString);
        var database = redis.GetDatabase();
        var key = RedisActivityLogStore.KeyOf(serviceId, userId);
        Assert.True(await database.StringSetAsync(key, format2));

        var read = await service.GetUserAsync(userId);
        Assert.Equal(40, read.TotalInteractions);
        var resent = await service.PostEventsAsync(ServiceFixture.Event($"{run}-3", userId, items[3], timestamp: start.AddSeconds(3 * 17)));
        Assert.Equal((0, 1), (resent.Accepted, resent.Duplicates));
        Assert.Equal(1, (await service.PostEventsAsync(ServiceFixture.Event($"{run}-new", userId, items[0]))).Accepted);
        var stored = (byte[])(await database.StringGetAsync(key))!;
        Assert.Equal(ActivityLogCodec.FormatVersion, stored[0]);
        Assert.True(stored.Length < format2.Length, $"format 3: {stored.Length} bytes for 41 events, format 2: {format2.Length} for 40");

        await service.RestartSiloAsync();
        var after = await service.GetUserAsync(userId);
        Assert.Equal(41, after.TotalInteractions);
        Assert.Equal(read.RecentInteractions, after.RecentInteractions.Skip(1));
        var again = await service.PostEventsAsync(ServiceFixture.Event($"{run}-7", userId, items[7], timestamp: start.AddSeconds(7 * 17)));
        Assert.Equal((0, 1), (again.Accepted, again.Duplicates));
    }
}
