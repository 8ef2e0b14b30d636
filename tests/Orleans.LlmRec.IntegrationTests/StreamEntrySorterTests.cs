using System.Globalization;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Silo.Ingestion;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>How one read of the stream is sorted into events, entries to set aside and deleted entries (no Redis needed).</summary>
public class StreamEntrySorterTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 7, 8, 9, 10, TimeSpan.Zero);

    /// <summary>A catalogue of items "1".."5".</summary>
    internal static ItemCatalogue Catalogue()
    {
        var items = new IdMap(Enumerable.Range(1, 5).Select(i => i.ToString(CultureInfo.InvariantCulture)));
        var dataset = new RatingsDataset("sorter", new IdMap(["u"]), items, [new Interaction(0, 0, 4f, 1_700_000_000)]);
        return ItemCatalogue.Build(dataset, dataset.Items, 0);
    }

    private static StreamEntry Entry(string id, params (string Name, string Value)[] fields) =>
        new(id, [.. fields.Select(f => new NameValueEntry(f.Name, f.Value))]);

    private static (string, string)[] Click(string eventId, string itemId) =>
        [("eventId", eventId), ("userId", "alice"), ("itemId", itemId), ("type", "click"), ("timestamp", "2025-06-07T08:00:00Z")];

    [Fact]
    public void Each_entry_is_judged_alone_so_a_bad_one_is_set_aside_with_its_reason_and_its_neighbours_are_applied()
    {
        StreamEntry[] read =
        [
            Entry("1-0", Click("e1", "1")),
            new("2-0", []),
            Entry("3-0", [.. Click("e3", "2"), ("userId", "bob")]),
            Entry("4-0", Click("e4", "no-such-item")),
            Entry("5-0", [.. Click("e5", "2").Select(f => f.Item1 == "type" ? ("type", "rating") : f), ("value", "4.5")]),
            Entry("6-0", [.. Click("e6", "3").Where(f => f.Item1 != "eventId")]),
        ];

        var sorted = StreamEntrySorter.Sort(read, Catalogue(), new IngestionOptions(), Now);

        Assert.Equal(["1-0", "5-0"], sorted.Valid.Select(v => v.Entry.Id.ToString()));
        Assert.Equal(("e1", UserEventType.Click, "1"), (sorted.Valid[0].Event.EventId, sorted.Valid[0].Event.Type, sorted.Valid[0].Event.ItemId));
        Assert.Equal((UserEventType.Rating, 4.5f), (sorted.Valid[1].Event.Type, sorted.Valid[1].Event.Value));
        Assert.Equal(["2-0"], sorted.Gone.Select(g => g.ToString()));
        Assert.Equal(
            [
                ("3-0", "field 'userId' is given more than once"),
                ("4-0", "itemId: unknown item 'no-such-item'"),
                ("6-0", "eventId: is required"),
            ],
            sorted.Rejected.Select(r => (r.Entry.Id.ToString(), r.Reason)));
    }

    [Fact]
    public void The_rules_are_those_of_http_batches_including_the_clock_skew()
    {
        var rules = new IngestionOptions();
        var tooLate = Now + rules.MaxFutureSkew + TimeSpan.FromMinutes(1);
        StreamEntry[] read = [Entry("1-0", [.. Click("e1", "1").Select(f => f.Item1 == "timestamp" ? ("timestamp", tooLate.ToString("O", CultureInfo.InvariantCulture)) : f)])];

        var rejected = Assert.Single(StreamEntrySorter.Sort(read, Catalogue(), rules, Now).Rejected);

        Assert.StartsWith("timestamp: ", rejected.Reason, StringComparison.Ordinal);
        Assert.Contains("lies in the future", rejected.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Stream_entries_meet_the_type_and_id_rules_of_http_batches()
    {
        static StreamEntry With(string id, string field, RedisValue value) =>
            new(id, [.. Click("e-" + id, "1").Select(f => f.Item1 == field ? new NameValueEntry(field, value) : new NameValueEntry(f.Item1, f.Item2))]);
        StreamEntry[] read =
        [
            With("1-0", "type", "click,view,like"),
            With("2-0", "type", "3"),
            With("3-0", "userId", "bad1\u200b"),
            With("4-0", "userId", "bad\u202e1"),
            With("5-0", "userId", "bad\u00851"),
            With("6-0", "userId", new byte[] { 0xEF, 0xBF, 0xBD, 0xFF }),
            With("7-0", "userId", "caf\u0065\u0301"),
            With("8-0", "type", "LIKE"),
        ];

        var sorted = StreamEntrySorter.Sort(read, Catalogue(), new IngestionOptions(), Now);

        Assert.Equal(["8-0"], sorted.Valid.Select(v => v.Entry.Id.ToString()));
        Assert.Equal(UserEventType.Like, sorted.Valid[0].Event.Type);
        var reasons = sorted.Rejected.ToDictionary(r => r.Entry.Id.ToString(), r => r.Reason);
        Assert.StartsWith("type: 'click,view,like' is not an event type", reasons["1-0"], StringComparison.Ordinal);
        Assert.StartsWith("type: '3' is not an event type", reasons["2-0"], StringComparison.Ordinal);
        Assert.Equal("userId: contains the invisible format character U+200B", reasons["3-0"]);
        Assert.Equal("userId: contains the invisible format character U+202E", reasons["4-0"]);
        Assert.Equal("userId: contains the control character U+0085", reasons["5-0"]);
        Assert.Equal("the value of field 'userId' is not valid UTF-8", reasons["6-0"]);
        Assert.StartsWith("userId: is not in Unicode normalization form C", reasons["7-0"], StringComparison.Ordinal);
    }
}
