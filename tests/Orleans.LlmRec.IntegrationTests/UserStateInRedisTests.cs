using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Users;
using Orleans.Storage;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>Issue 15: the compact, split user state in a real Redis, de-duplication across a restart, coalesced writes.</summary>
[Collection(ServiceOverRedis.Name)]
public class UserStateInRedisTests(ServiceFixture service, ITestOutputHelper output)
{
    [Fact]
    public async Task Light_typical_and_heavy_users_round_trip_through_Redis_and_re_sent_events_stay_duplicates_after_a_restart()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var items = service.World.PopularItems();
        var sizes = new[] { 10, 100, 2_000 };
        var start = DateTimeOffset.UtcNow.AddDays(-2);
        object Event(int size, int i) => ServiceFixture.Event($"{run}-{size}-{i}", $"size-{run}-{size}", items[i % items.Count],
            i % 11 == 0 ? "rating" : "click", i % 11 == 0 ? 4.5f : null, start.AddSeconds(i * 37));
        foreach (var size in sizes)
        {
            foreach (var chunk in Enumerable.Range(0, size).Chunk(ServiceFixture.MaxBatchSize))
            {
                Assert.Equal(chunk.Length, (await service.PostEventsAsync([.. chunk.Select(i => Event(size, i))])).Accepted);
            }
        }
        var before = await Task.WhenAll(sizes.Select(size => service.GetUserAsync($"size-{run}-{size}")));

        await using var redis = await ConnectionMultiplexer.ConnectAsync(service.Redis.ConnectionString);
        foreach (var size in sizes) output.WriteLine($"{size,5} events: {await StoredBytesAsync(redis, $"size-{run}-{size}"),6:N0} bytes in Redis (etag and state of each key)");

        await service.RestartSiloAsync();

        for (var s = 0; s < sizes.Length; s++)
        {
            var after = await service.GetUserAsync($"size-{run}-{sizes[s]}");
            Assert.Equal(sizes[s], after.TotalInteractions);
            Assert.Equal(before[s].RecentInteractions, after.RecentInteractions);
            Assert.Equal(before[s].DislikedItems, after.DislikedItems);
            // The newest events are within every window: sent again, they are all duplicates.
            var resent = Enumerable.Range(Math.Max(0, sizes[s] - 200), Math.Min(sizes[s], 200)).Select(i => Event(sizes[s], i)).ToArray();
            var again = await service.PostEventsAsync(resent);
            Assert.Equal((0, resent.Length), (again.Accepted, again.Duplicates));
        }
    }

    [Fact]
    public async Task A_user_written_one_small_batch_at_a_time_reads_back_across_snapshot_rewrites_and_a_restart()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var userId = $"appends-{run}";
        var items = service.World.PopularItems();
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        object Event(int i) => ServiceFixture.Event($"{run}-{i}", userId, items[i % items.Count], i % 9 == 0 ? "dislike" : "click", null, start.AddSeconds(i * 13));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(service.Redis.ConnectionString);
        var key = $"*/al/{userId}";
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var lengths = new List<long>();
        // 3 events a request: each write appends a chunk; now and then the value is rewritten as a smaller snapshot.
        for (var i = 0; i < 450; i += 3)
        {
            Assert.Equal(3, (await service.PostEventsAsync(Event(i), Event(i + 1), Event(i + 2))).Accepted);
            lengths.Add(await redis.GetDatabase().StringLengthAsync(Assert.Single(server.Keys(pattern: key))));
        }
        Assert.Contains(lengths.Zip(lengths.Skip(1)), p => p.Second < p.First);
        Assert.True(lengths.Zip(lengths.Skip(1)).Count(p => p.Second > p.First) > lengths.Count / 2, "most writes are appends");
        var before = await service.GetUserAsync(userId);

        await service.RestartSiloAsync();
        var after = await service.GetUserAsync(userId);
        Assert.Equal(450, after.TotalInteractions);
        Assert.Equal(before.RecentInteractions, after.RecentInteractions);
        Assert.Equal(before.DislikedItems, after.DislikedItems);
        var again = await service.PostEventsAsync([.. Enumerable.Range(0, 450).Select(Event)]);
        Assert.Equal((0, 450), (again.Accepted, again.Duplicates));
    }

    [Fact]
    public async Task A_user_stored_by_the_earlier_layout_keeps_their_history_and_is_rewritten_in_the_activity_log()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var userId = $"earlier-{run}";
        var items = service.World.PopularItems();
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        UserEvent Event(int i) => new() { EventId = $"{run}-{i}", UserId = userId, ItemId = items[i % items.Count], Type = UserEventType.Click, Timestamp = start.AddSeconds(i * 17) };
        // Written as the silo's grain storage wrote the activity before the activity log: the grain state "activity".
        var earlier = new UserActivity();
        Assert.Equal(40, earlier.History.Apply([.. Enumerable.Range(0, 40).Select(Event)], start).Applied);
        var grainId = service.Silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IUserGrain>(userId).GetGrainId();
        var storage = service.Silo.Services.GetRequiredKeyedService<IGrainStorage>(UserGrain.StorageName);
        await storage.WriteStateAsync(ActivityLogs.EarlierStateName, grainId, new GrainState<UserActivity>(earlier));

        var read = await service.GetUserAsync(userId);
        Assert.Equal(40, read.TotalInteractions);
        var resent = await service.PostEventsAsync(ServiceFixture.Event($"{run}-3", userId, items[3], timestamp: start.AddSeconds(3 * 17)));
        Assert.Equal((0, 1), (resent.Accepted, resent.Duplicates));
        Assert.Equal(1, (await service.PostEventsAsync(ServiceFixture.Event($"{run}-new", userId, items[0]))).Accepted);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(service.Redis.ConnectionString);
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        Assert.Single(server.Keys(pattern: $"*/al/{userId}"));
        await service.RestartSiloAsync();
        var after = await service.GetUserAsync(userId);
        Assert.Equal(41, after.TotalInteractions);
        Assert.Equal(read.RecentInteractions, after.RecentInteractions.Skip(1));
    }

    [Fact]
    public async Task Stream_entries_redelivered_after_a_restart_are_applied_once()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var userId = $"stream-restart-{run}";
        var items = service.World.PopularItems();
        await using var redis = await ConnectionMultiplexer.ConnectAsync(service.Redis.ConnectionString);
        var db = redis.GetDatabase();
        var timestamp = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        async Task AddAllAsync()
        {
            for (var i = 0; i < 30; i++)
            {
                await db.StreamAddAsync(ServiceFixture.StreamKey,
                [
                    new("eventId", $"{run}-{i}"), new("userId", userId), new("itemId", items[i]), new("type", "click"), new("timestamp", timestamp),
                ]);
            }
        }
        await AddAllAsync();
        await EventuallyAsync(async () => (await service.GetUserAsync(userId)).TotalInteractions == 30, "the 30 entries were applied");

        await service.RestartSiloAsync();
        // The same events again (a producer's retry, or entries claimed after a crash): the new activation reads the
        // fingerprints from Redis and applies none of them.
        await AddAllAsync();
        await EventuallyAsync(async () =>
        {
            var group = (await db.StreamGroupInfoAsync(ServiceFixture.StreamKey)).Single();
            return group.Lag == 0 && group.PendingMessageCount == 0;
        }, "the consumer group caught up");
        Assert.Equal(30, (await service.GetUserAsync(userId)).TotalInteractions);
    }

    [Fact]
    public async Task Concurrent_events_for_one_user_share_storage_writes_and_every_one_is_stored()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var userId = $"coalesced-{run}";
        var items = service.World.PopularItems();
        await service.PostEventsAsync(ServiceFixture.Event($"{run}-first", userId, items[0]));
        await using var redis = await ConnectionMultiplexer.ConnectAsync(service.Redis.ConnectionString + ",allowAdmin=true");
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var writesBefore = await StateWritesAsync(server);

        const int requests = 64;
        var results = await Task.WhenAll(Enumerable.Range(0, requests).Select(i => service.PostEventsAsync(ServiceFixture.Event($"{run}-{i}", userId, items[1 + i % 40]))));
        var writes = await StateWritesAsync(server) - writesBefore;

        // Each request was answered after the write holding its event: all of them are in Redis now.
        Assert.All(results, r => Assert.Equal(1, r.Accepted));
        await service.RestartSiloAsync();
        Assert.Equal(requests + 1, (await service.GetUserAsync(userId)).TotalInteractions);
        output.WriteLine($"{requests} concurrent single-event requests for one user: {writes} state writes ({(double)writes / requests:F2} per event)");
        // Without coalescing every event is one write; under this load they share (the bound is loose, a busy
        // machine serialises more).
        Assert.InRange(writes, 1, requests - 1);
    }

    /// <summary>Calls of the scripts Orleans' Redis storage writes state with (other traffic, such as stream reads, uses other commands).</summary>
    private static async Task<long> StateWritesAsync(IServer server)
    {
        var stats = await server.InfoAsync("commandstats");
        return stats.SelectMany(g => g).Where(p => p.Key is "cmdstat_evalsha" or "cmdstat_eval")
            .Sum(p => long.Parse(p.Value.Split(',')[0].Split('=')[1], CultureInfo.InvariantCulture));
    }

    private static async Task<long> StoredBytesAsync(ConnectionMultiplexer redis, string userId)
    {
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        var db = redis.GetDatabase();
        long bytes = 0;
        // Keys are {service}/state/user/{userId}/{state name}.
        foreach (var key in server.Keys(pattern: $"*/user/{userId}/*"))
        {
            bytes += await db.KeyTypeAsync(key) == RedisType.Hash
                ? (await db.HashGetAllAsync(key)).Sum(e => (long)((byte[])e.Name!).Length + ((byte[])e.Value!).Length)
                : await db.StringLengthAsync(key);
        }
        return bytes;
    }

    private static async Task EventuallyAsync(Func<Task<bool>> done, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not within 30 s: {what}");
            await Task.Delay(50);
        }
    }
}
