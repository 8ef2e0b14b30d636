using Orleans.LlmRec.Grains.Users;
using Orleans.Persistence.Redis;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Redis;

/// <summary>
/// Users' activity values (<see cref="IActivityLogStore"/>) as Redis strings, one per user, at <c>{ServiceId}/al/{userId}</c>
/// ("activity log"; short because a typical user's whole entry is about a kilobyte and Redis keeps the key with it:
/// session 7's first <c>{ServiceId}/state/user/{userId}/activity-log</c> cost 16 more bytes per user, and is not read).
/// Orleans' own keys start <c>{ServiceId}/state/</c>, so the two never meet. Each write
/// is one script that checks the value is still the writer's version (its length, and the header with the epoch) and
/// then APPENDs the chunk or SETs the new snapshot. Redis replicates and logs a script by its effects, so the AOF and
/// the replicas get the APPEND with the chunk's bytes, not the whole value (checked against redis-server 7.0: the AOF
/// holds APPEND and SET commands only). Uses the host's shared connection.
/// </summary>
public sealed class RedisActivityLogStore(IConnectionMultiplexer redis, string serviceId) : IActivityLogStore
{
    // Arguments: expected length, the header's last index, expected header (format byte and epoch), "a" (append) or
    // "s" (set; empty deletes), bytes. Returns 1 when written, 0 when the value was not the expected one. Numbers
    // reach Redis as strings from here ('0', the header's end): Lua formats a number it passes to redis.call anew
    // every time, a few per cent of Redis' CPU under ingestion.
    private const string ConditionalWrite = """
        local length = redis.call('STRLEN', key)
        if length ~= tonumber(ARGV[a + 1]) then return 0 end
        if length > 0 and redis.call('GETRANGE', key, '0', ARGV[a + 2]) ~= ARGV[a + 3] then return 0 end
        if ARGV[a + 4] == 'a' then
          redis.call('APPEND', key, ARGV[a + 5])
          -- APPEND leaves the string up to its own size of spare room (greedy growth); a copy, not replicated (replicas
          -- and the AOF have the APPEND), takes only what it needs. BITOP OR of the key alone into itself is that copy,
          -- made in C in one command (a GET into Lua and a SET back made Lua hash every byte of the value, a fifth of
          -- Redis' CPU; COPY to a side key and RENAME back took two commands and a key added and removed).
          redis.set_repl(redis.REPL_NONE)
          redis.call('BITOP', 'OR', key, key)
          redis.set_repl(redis.REPL_ALL)
        elseif string.len(ARGV[a + 5]) == 0 then
          redis.call('DEL', key)
        else
          redis.call('SET', key, ARGV[a + 5])
        end
        return 1
        """;

    /// <summary>The header's last index as the script's GETRANGE takes it.</summary>
    private static readonly RedisValue HeaderEnd = ActivityLogCodec.HeaderLength - 1;

    private readonly GroupedScriptCalls _writes = new(redis, ConditionalWrite, argumentsPerKey: 5);

    /// <summary>The key of <paramref name="userId"/>'s activity under <paramref name="serviceId"/>.</summary>
    public static string KeyOf(string serviceId, string userId) => $"{serviceId}/al/{userId}";

    public async Task<byte[]?> ReadAsync(string userId)
    {
        try
        {
            return await redis.GetDatabase().StringGetAsync(KeyOf(serviceId, userId));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw Unavailable("read", userId, e);
        }
    }

    public Task<bool> TryAppendAsync(string userId, ActivityLogVersion expected, ReadOnlyMemory<byte> chunk) =>
        WriteAsync(userId, expected, "a", chunk);

    public Task<bool> TryReplaceAsync(string userId, ActivityLogVersion expected, ReadOnlyMemory<byte> value) =>
        WriteAsync(userId, expected, "s", value);

    private async Task<bool> WriteAsync(string userId, ActivityLogVersion expected, string operation, ReadOnlyMemory<byte> bytes)
    {
        try
        {
            // Grouped with other users' writes made meanwhile: one script call for many (GroupedScriptCalls).
            return await _writes.RunAsync(KeyOf(serviceId, userId), [expected.Length, HeaderEnd, expected.Header(), operation, bytes]) == 1;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw Unavailable("write", userId, e);
        }
    }

    /// <summary>
    /// As Orleans' Redis storage reports it: the cause named in the message, not attached. The failure travels back to
    /// a caller on another silo, and Orleans has no codec for StackExchange.Redis' exceptions (the call would fail
    /// with a serialization error instead, a 500 rather than a 503); <c>Outages</c> reads the cause from the message.
    /// </summary>
    private RedisStorageException Unavailable(string operation, string userId, Exception cause) =>
        new($"Failed to {operation} the activity of user {userId} (key {KeyOf(serviceId, userId)}). {cause.GetType().Name}: {cause.Message}");
}
