using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Silo.Ingestion;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// Trimming the event stream behind its consumer groups, against a real redis-server: acknowledged entries go;
/// pending, undelivered and group-less entries never do.
/// </summary>
public sealed class EventStreamTrimTests : IAsyncLifetime
{
    private const string Key = "trim:events";
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _connection = null!;
    private IDatabase Db => _connection.GetDatabase();

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        _connection = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        await _connection.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private async Task<RedisValue[]> AddAsync(int count)
    {
        var ids = new RedisValue[count];
        for (var i = 0; i < count; i++) ids[i] = await Db.StreamAddAsync(Key, "n", i);
        return ids;
    }

    private async Task<string[]> RemainingAsync() => [.. (await Db.StreamRangeAsync(Key)).Select(e => e.Id.ToString())];

    [Fact]
    public async Task Only_entries_the_group_acknowledged_go_and_the_oldest_pending_entry_bounds_the_trim()
    {
        var ids = await AddAsync(10);
        await Db.StreamCreateConsumerGroupAsync(Key, "g", "0-0");
        var read = await Db.StreamReadGroupAsync(Key, "g", "c1", ">", 6);
        Assert.Equal(6, read.Length);
        await Db.StreamAcknowledgeAsync(Key, "g", [ids[0], ids[1], ids[3]]);

        // Entry 2 is pending (delivered, not acknowledged): it and everything after it stay.
        Assert.Equal(2, await EventStreamTrimmer.TrimAsync(Db, Key));
        Assert.Equal(ids[2..].Select(i => i.ToString()), await RemainingAsync());

        await Db.StreamAcknowledgeAsync(Key, "g", [ids[2], ids[4], ids[5]]);
        // Nothing pending: entries up to the last delivered one (5) go, but it stays; 6..9 were never delivered.
        Assert.Equal(3, await EventStreamTrimmer.TrimAsync(Db, Key));
        Assert.Equal(ids[5..].Select(i => i.ToString()), await RemainingAsync());
        Assert.Equal(0, await EventStreamTrimmer.TrimAsync(Db, Key));
    }

    [Fact]
    public async Task Every_group_of_the_stream_bounds_the_trim_and_a_stream_without_groups_is_left_alone()
    {
        var ids = await AddAsync(5);
        Assert.Null(await EventStreamTrimmer.FirstUnacknowledgedAsync(Db, Key));
        Assert.Equal(0, await EventStreamTrimmer.TrimAsync(Db, Key));
        Assert.Equal(5, await Db.StreamLengthAsync(Key));

        await Db.StreamCreateConsumerGroupAsync(Key, "fast", "0-0");
        foreach (var entry in await Db.StreamReadGroupAsync(Key, "fast", "c", ">", 10)) await Db.StreamAcknowledgeAsync(Key, "fast", entry.Id);
        // Another team's group that has read nothing yet holds every entry.
        await Db.StreamCreateConsumerGroupAsync(Key, "slow", "0-0");
        Assert.Equal(0, await EventStreamTrimmer.TrimAsync(Db, Key));

        await Db.StreamReadGroupAsync(Key, "slow", "c", ">", 2);
        await Db.StreamAcknowledgeAsync(Key, "slow", ids[0]);
        Assert.Equal(1, await EventStreamTrimmer.TrimAsync(Db, Key));
        Assert.Equal(ids[1..].Select(i => i.ToString()), await RemainingAsync());
    }

    [Fact]
    public async Task A_missing_stream_is_no_error()
    {
        Assert.Equal(0, await EventStreamTrimmer.TrimAsync(Db, "no-such-stream"));
    }
}

[Collection(ServiceOverRedis.Name)]
public class SiloStreamTrimTests(ServiceFixture service)
{
    /// <summary>The silo trims what its consumer acknowledged; the entries it applied are gone from the stream.</summary>
    [Fact]
    public async Task The_running_silo_trims_the_entries_it_applied()
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(service.Redis.ConnectionString);
        var db = redis.GetDatabase();
        var user = $"trimmed-{Guid.NewGuid():N}";
        var item = service.World.PopularItems()[0];
        var ids = new List<RedisValue>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await db.StreamAddAsync(ServiceFixture.StreamKey,
                [new("eventId", $"{user}-{i}"), new("userId", user), new("itemId", item), new("type", "view"), new("timestamp", DateTimeOffset.UtcNow.AddSeconds(-5).ToUnixTimeSeconds())]));
        }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            // Once applied and trimmed, at most the last one is left (the last delivered entry stays).
            var left = (await db.StreamRangeAsync(ServiceFixture.StreamKey, ids[0], ids[^1])).Length;
            if (left <= 1) break;
            Assert.True(DateTime.UtcNow < deadline, $"{left} of the 20 entries are still in the stream after 30 s");
            await Task.Delay(100);
        }
        Assert.Equal(20, (await service.GetUserAsync(user)).TotalInteractions);
    }
}
