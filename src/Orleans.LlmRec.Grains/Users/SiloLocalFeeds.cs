using System.Collections.Concurrent;
using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// The cached feeds of the user grains active on this silo, as they would answer a plain read right now: the HTTP API
/// answers such a read from here without a grain call (the cached read's largest cost after the socket). Only the
/// activation on this silo publishes its user's entry, and it withdraws it in the same turn as anything that makes
/// the feed outdated (an event, preferences, a profile or re-rank answer), before that change is acknowledged, and
/// when it deactivates. A silo that does not hold the activation has no entry, so it asks the grain.
/// </summary>
/// <remarks>
/// Why it is safe: a click's 200 is sent after the grain's turn that applied it, and that turn withdrew the entry, so
/// the first read after the 200 reaches the grain. Each entry also lapses <see cref="Refresh"/> after the grain last
/// handed it out, so the grain still sees a polling user now and then (its LLM work is prioritised for users who read,
/// profile refreshes that came due are asked for, the activation is not collected as idle), and an entry that somehow
/// outlived its activation (a silo declared dead while still running) is served for at most that long. Entries are
/// also checked against the model and the catalogue generation this silo serves now (<paramref name="servingStamp"/>),
/// so a model reload never answers with a feed of the old model, nor a catalogue change (a retired item) with a feed of
/// the old catalogue.
/// </remarks>
/// <param name="servingStamp">What a cached feed must have been made with to be served now (the current model's version and catalogue generation); read only when an entry exists.</param>
public sealed class SiloLocalFeeds(TimeProvider time, TimeSpan refresh, Func<(string? ModelVersion, long CatalogueGeneration)> servingStamp)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly long _refreshTimestamps = (long)(refresh.TotalSeconds * time.TimestampFrequency);

    /// <summary>Nothing is ever published or answered (an API tier, whose grains live elsewhere; or turned off).</summary>
    public static SiloLocalFeeds Off { get; } = new(TimeProvider.System, TimeSpan.Zero, () => (null, 0));

    /// <summary>How long an entry answers after the grain last handed it out; zero turns the cache off.</summary>
    public TimeSpan Refresh { get; } = refresh;

    public bool Enabled => _refreshTimestamps > 0;

    /// <summary>Entries held now (the activations on this silo with a current plain feed).</summary>
    public int Count => _entries.Count;

    /// <summary>Reads answered here without a grain call since the silo started.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    private long _hits;

    /// <summary>
    /// The feed a plain read of <paramref name="k"/> items gets now, or null when the grain must be asked (no entry,
    /// another k, lapsed, or made with another model than the one served now).
    /// </summary>
    public Feed? TryAnswer(string userId, int k)
    {
        if (!_entries.TryGetValue(userId, out var entry) || entry.K != k) return null;
        if (time.GetTimestamp() >= entry.LapsesAt || (entry.ModelVersion, entry.CatalogueGeneration) != servingStamp()) return null;
        Interlocked.Increment(ref _hits);
        return entry.Response;
    }

    /// <summary>
    /// The activation <paramref name="owner"/> hands out <paramref name="response"/> to every plain read of
    /// <paramref name="k"/> items until it withdraws it; made with <paramref name="modelVersion"/> over the catalogue
    /// of <paramref name="catalogueGeneration"/>.
    /// </summary>
    public void Publish(string userId, object owner, Feed response, int k, string modelVersion, long catalogueGeneration)
    {
        if (!Enabled) return;
        var entry = new Entry(owner, response, k, modelVersion, catalogueGeneration, time.GetTimestamp() + _refreshTimestamps);
        _entries.AddOrUpdate(userId, entry, (_, held) => ReferenceEquals(held.Owner, owner) || held.LapsesAt <= time.GetTimestamp() ? entry : held);
    }

    /// <summary>Removes the entry <paramref name="owner"/> published (never another activation's).</summary>
    public void Withdraw(string userId, object owner)
    {
        if (_entries.TryGetValue(userId, out var held) && ReferenceEquals(held.Owner, owner)) _entries.TryRemove(KeyValuePair.Create(userId, held));
    }

    private sealed record Entry(object Owner, Feed Response, int K, string ModelVersion, long CatalogueGeneration, long LapsesAt);
}
