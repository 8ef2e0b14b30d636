using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Ingestion;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>A stream entry that became a valid event.</summary>
public sealed record StreamEvent(StreamEntry Entry, UserEvent Event);

/// <summary>A stream entry that is set aside, and why.</summary>
public sealed record RejectedEntry(StreamEntry Entry, string Reason);

/// <summary>What one read of the stream holds: events to apply, entries to set aside, and entries deleted since.</summary>
public sealed record SortedEntries(IReadOnlyList<StreamEvent> Valid, IReadOnlyList<RejectedEntry> Rejected, IReadOnlyList<RedisValue> Gone);

/// <summary>
/// Parses and validates each entry of a read, once, with the rules of <c>POST /v1/events</c>
/// (<see cref="EventBatchValidator"/>). Each entry stands alone: a bad one is set aside with its reason, and never
/// holds back the good ones beside it.
/// </summary>
public static class StreamEntrySorter
{
    public static SortedEntries Sort(IReadOnlyList<StreamEntry> entries, ItemCatalogue catalogue, IngestionOptions rules, DateTimeOffset now)
    {
        var valid = new List<StreamEvent>(entries.Count);
        var rejected = new List<RejectedEntry>();
        var gone = new List<RedisValue>();
        foreach (var entry in entries)
        {
            if (entry.Values is null or { Length: 0 })
            {
                // XADD needs a field, so an empty pending entry was deleted (XDEL, trimming) after delivery.
                gone.Add(entry.Id);
            }
            else if (!StreamEntryParser.TryParse(entry.Values, out var incoming, out var parseError))
            {
                rejected.Add(new RejectedEntry(entry, parseError!));
            }
            else if (!EventBatchValidator.TryValidateOne(incoming, catalogue, rules, now, out var userEvent, out var problems))
            {
                rejected.Add(new RejectedEntry(entry, problems));
            }
            else
            {
                valid.Add(new StreamEvent(entry, userEvent));
            }
        }
        return new SortedEntries(valid, rejected, gone);
    }
}
