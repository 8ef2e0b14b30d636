using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Silo.Redis;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>Group-committed state writes against a real redis-server: fewer script calls, each key's own result, nothing written for a refused key.</summary>
public class GroupedScriptCallsTests
{
    // Sets the key to its second argument when it holds the first (or is absent and the first is empty); 1 when set, 0 otherwise.
    private const string CompareAndSet = """
        local value = redis.call('GET', key)
        if (value or '') ~= ARGV[a + 1] then return 0 end
        redis.call('SET', key, ARGV[a + 2])
        return 1
        """;

    [Fact]
    public async Task Writes_made_while_a_call_is_in_flight_share_script_calls_and_each_gets_its_own_keys_result()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var db = connection.GetDatabase();
        const int keys = 400;
        for (var i = 0; i < keys; i++) await db.StringSetAsync($"k{i}", "old");
        var grouped = new GroupedScriptCalls(connection, CompareAndSet, argumentsPerKey: 2);

        // Every fourth write expects a value the key does not hold: refused, alone, in the middle of accepted ones.
        var writes = Enumerable.Range(0, keys)
            .Select(i => grouped.RunAsync($"k{i}", [i % 4 == 0 ? "stale" : "old", $"new{i}"]))
            .ToArray();
        var results = await Task.WhenAll(writes);

        for (var i = 0; i < keys; i++)
        {
            Assert.Equal(i % 4 == 0 ? 0 : 1, results[i]);
            Assert.Equal(i % 4 == 0 ? "old" : $"new{i}", (string?)await db.StringGetAsync($"k{i}"));
        }
        // At most two calls in flight: the rest waited and went together (at most 256 keys a call).
        Assert.InRange(grouped.ScriptCalls, 2, keys / 4);
    }

    [Fact]
    public async Task A_lone_write_goes_at_once_and_a_failed_script_call_fails_every_write_it_held()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var grouped = new GroupedScriptCalls(connection, CompareAndSet, argumentsPerKey: 2);
        Assert.Equal(1, await grouped.RunAsync("alone", ["", "v"]));
        Assert.Equal(1, grouped.ScriptCalls);

        // A key holding a list makes GET fail inside the script. With Redis paused, two calls fill the flight; the
        // writes after them wait and go together, so the failing key's call fails the other write it holds too.
        await connection.GetDatabase().ListLeftPushAsync("a-list", "x");
        redis.Pause();
        Task<long>[] inFlight = [grouped.RunAsync("f1", ["", "v"]), grouped.RunAsync("f2", ["", "v"])];
        Task<long>[] together = [grouped.RunAsync("a-list", ["", "v"]), grouped.RunAsync("other", ["", "v"])];
        redis.Resume();
        var filled = await Task.WhenAll(inFlight);
        Assert.Equal([1L, 1L], filled);
        foreach (var write in together) await Assert.ThrowsAsync<RedisServerException>(() => write);
        Assert.Equal(4, grouped.ScriptCalls);
        Assert.False(await connection.GetDatabase().KeyExistsAsync("other"));
        // Later writes are still sent.
        Assert.Equal(1, await grouped.RunAsync("later", ["", "v"]));
    }

    [Fact]
    public async Task An_appended_activity_log_takes_no_more_memory_than_the_same_bytes_set_whole()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var store = new RedisActivityLogStore(connection, "svc");
        var first = new ActivityLogVersion(0, 7);
        var value = first.Header().Concat(Enumerable.Repeat((byte)'x', 900)).ToArray();
        Assert.True(await store.TryReplaceAsync("u1", ActivityLogVersion.Absent, value));
        var chunk = Enumerable.Repeat((byte)'y', 60).ToArray();
        Assert.True(await store.TryAppendAsync("u1", new ActivityLogVersion(value.Length, 7), chunk));
        // A stale version changes nothing.
        Assert.False(await store.TryAppendAsync("u1", new ActivityLogVersion(value.Length, 7), chunk));

        var db = connection.GetDatabase();
        byte[] expected = [.. value, .. chunk];
        var stored = (byte[]?)await db.StringGetAsync(RedisActivityLogStore.KeyOf("svc", "u1"));
        Assert.Equal(expected, stored);
        await db.StringSetAsync("whole", expected);
        var appended = (long)await db.ExecuteAsync("MEMORY", "USAGE", RedisActivityLogStore.KeyOf("svc", "u1"));
        var whole = (long)await db.ExecuteAsync("MEMORY", "USAGE", "whole");
        // Greedy APPEND growth would leave ~960 spare bytes; the copy takes what a SET takes (the key is longer by 8 B).
        Assert.InRange(appended, whole - 16, whole + 16);
        Assert.False(await db.KeyExistsAsync(RedisActivityLogStore.KeyOf("svc", "u1") + "~"));
    }
}
