using System.Collections.Concurrent;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// Where a user's <see cref="UserActivity"/> is kept as one append-only value (<see cref="ActivityLogCodec"/>): a
/// snapshot, then the chunks each write appended. Every change is conditional on the value the writer last saw
/// (<see cref="ActivityLogVersion"/>): a write that finds another there changes nothing and returns false (the caller
/// re-reads), so two activations of a user can never interleave their writes unseen. Redis in production (one
/// atomic script per write, replicated and logged as the APPEND or SET it did), memory in the embedded default.
/// </summary>
public interface IActivityLogStore
{
    /// <summary>The stored value, or null when the user has none.</summary>
    Task<byte[]?> ReadAsync(string userId);

    /// <summary>Appends <paramref name="chunk"/> if the stored value is still <paramref name="expected"/>; false (nothing written) otherwise.</summary>
    Task<bool> TryAppendAsync(string userId, ActivityLogVersion expected, ReadOnlyMemory<byte> chunk);

    /// <summary>Replaces the value with <paramref name="value"/> (empty deletes it) if it is still <paramref name="expected"/>; false otherwise.</summary>
    Task<bool> TryReplaceAsync(string userId, ActivityLogVersion expected, ReadOnlyMemory<byte> value);
}

/// <summary>
/// Which stored value a writer saw: its length and its header (format byte and the random epoch a snapshot write
/// draws). Appends only lengthen a value and a rewrite draws a new epoch, so equal versions mean the same value. A
/// value of an earlier <paramref name="Format"/> is only ever replaced (by a snapshot in the current one).
/// </summary>
public readonly record struct ActivityLogVersion(long Length, ulong Epoch, byte Format = ActivityLogCodec.FormatVersion)
{
    public static readonly ActivityLogVersion Absent = new(0, 0);

    /// <summary>The header bytes a stored value of this version starts with (what a store compares).</summary>
    public byte[] Header() => ActivityLogCodec.Header(Format, Epoch);

    public override string ToString() => $"{Epoch:x16}:{Length}";
}

/// <summary>The embedded default's store: one silo's memory (like Orleans' memory grain storage, lost with the process).</summary>
public sealed class InMemoryActivityLogStore : IActivityLogStore
{
    private readonly ConcurrentDictionary<string, byte[]> _values = new(StringComparer.Ordinal);

    public Task<byte[]?> ReadAsync(string userId) =>
        Task.FromResult(_values.TryGetValue(userId, out var value) ? value.ToArray() : null);

    public Task<bool> TryAppendAsync(string userId, ActivityLogVersion expected, ReadOnlyMemory<byte> chunk) =>
        Task.FromResult(Change(userId, expected, current => [.. current, .. chunk.Span]));

    public Task<bool> TryReplaceAsync(string userId, ActivityLogVersion expected, ReadOnlyMemory<byte> value) =>
        Task.FromResult(Change(userId, expected, _ => value.ToArray()));

    private bool Change(string userId, ActivityLogVersion expected, Func<byte[], byte[]> change)
    {
        lock (_values)
        {
            var current = _values.TryGetValue(userId, out var value) ? value : [];
            if (!ActivityLogCodec.IsVersion(current, expected)) return false;
            var next = change(current);
            if (next.Length == 0) _values.TryRemove(userId, out _);
            else _values[userId] = next;
            return true;
        }
    }
}
