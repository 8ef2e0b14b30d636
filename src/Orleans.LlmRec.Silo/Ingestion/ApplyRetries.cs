using System.Collections.Concurrent;
using Orleans.LlmRec.Silo.Cluster;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>
/// Decides what happens to stream entries whose user's grain failed to apply them. An outage (a timeout, a silo or
/// Redis unavailable, a write conflict) says nothing about the entries: they are retried for as long as it lasts. Any
/// other failure is counted per entry; once an entry has failed <c>maxAttempts</c> times, over at least
/// <c>minSpan</c> (retries come quickly at first, so a short hiccup that surfaces as an unexpected exception does not
/// set good events aside), it is given up and set aside, so one user with damaged state cannot hold up the stream.
/// </summary>
public sealed class ApplyRetries(int maxAttempts, TimeSpan minSpan)
{
    /// <summary>Failed attempts per entry id, and when the first was. Touched by the parts of batches in flight at once.</summary>
    private readonly ConcurrentDictionary<string, (int Attempts, DateTimeOffset Since)> _failures = new(StringComparer.Ordinal);

    /// <summary>Entries with failed attempts on record.</summary>
    public int Tracked => _failures.Count;

    /// <summary>Failures that say nothing about the events themselves, only that something is down or busy for now.</summary>
    public static bool IsOutage(Exception e) => Outages.Classify(e) is not null;

    /// <summary>
    /// Counts one more failed attempt (not an outage) of every entry in <paramref name="entryIds"/>, which were applied
    /// together; true when the group is to be given up. <paramref name="attempts"/> is the most any of them has failed.
    /// </summary>
    public bool FailedAgain(IEnumerable<RedisValue> entryIds, DateTimeOffset now, out int attempts)
    {
        var (most, since) = (0, now);
        foreach (var id in entryIds)
        {
            var failed = _failures.AddOrUpdate(id.ToString(), (1, now), (_, f) => (f.Attempts + 1, f.Since));
            most = Math.Max(most, failed.Attempts);
            if (failed.Since < since) since = failed.Since;
        }
        attempts = most;
        return most >= maxAttempts && now - since >= minSpan;
    }

    /// <summary>Drops the record of entries that were applied or set aside.</summary>
    public void Forget(IEnumerable<RedisValue> entryIds)
    {
        // Called for every applied chunk; almost always nothing failed, and then no id needs turning into a string.
        if (_failures.IsEmpty) return;
        foreach (var id in entryIds) _failures.TryRemove(id.ToString(), out _);
    }
}
