using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using StackExchange.Redis;
using StreamEntryFields = Orleans.LlmRec.Silo.Ingestion.StreamEntryParser;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// The live catalogue's idempotence (a PUT repeated on either silo, an item stream entry delivered twice), the item
/// stream's malformed entries, the event stream on an item published a moment ago, and a retire that empties the
/// silo-local cached feeds the moment every silo applied it (not when their refresh lapses).
/// </summary>
public sealed partial class LiveCatalogueTests
{
    private const string CatalogueLog = "llmrec:catalogue";
    private const string ItemDeadLetters = "llmrec:items:dead";

    private Task<long> LogLengthAsync() => RedisClient.GetDatabase().StreamLengthAsync(CatalogueLog);

    private bool AppliedOn(SiloServer silo, string itemId, Func<LiveCatalogue, int, bool> state)
    {
        var live = silo.Services.GetRequiredService<LiveCatalogue>();
        return live.Catalogue.TryGetIndex(itemId, out var index) && state(live, index);
    }

    [Fact]
    public async Task The_same_put_on_either_silo_and_a_redelivered_stream_entry_are_one_catalogue_change()
    {
        var itemId = $"twice-{Guid.NewGuid():N}";
        var body = Body("Twice", ["Drama"]);
        var before = await LogLengthAsync();
        using (var first = await PutAsync(A, itemId, body)) Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var again = await PutAsync(A, itemId, body)) Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using (var onB = await PutAsync(B, itemId, body)) Assert.Equal(HttpStatusCode.OK, onB.StatusCode);
        Assert.Equal(before + 1, await LogLengthAsync());

        // A producer's entry delivered twice (its retry, or a redelivery after a crash): the second changes nothing.
        var db = RedisClient.GetDatabase();
        var streamed = $"twice-stream-{Guid.NewGuid():N}";
        NameValueEntry[] put = [new("op", "put"), new("itemId", streamed), new("json", Body("Twice streamed", ["Comedy"]))];
        NameValueEntry[] retire = [new("op", "delete"), new("itemId", streamed)];
        var logged = await LogLengthAsync();
        await db.StreamAddAsync(ItemStream, put);
        await db.StreamAddAsync(ItemStream, put);
        Assert.True(await EventuallyAsync(() => Task.FromResult(AppliedOn(Silos[0], streamed, (_, _) => true) && AppliedOn(Silos[1], streamed, (_, _) => true))));
        await db.StreamAddAsync(ItemStream, retire);
        await db.StreamAddAsync(ItemStream, retire);
        Assert.True(await EventuallyAsync(async () => (await GetItemAsync(A, streamed)).Retired && await ItemStreamDrainedAsync()));
        Assert.Equal(logged + 2, await LogLengthAsync());
        Assert.DoesNotContain(await db.StreamRangeAsync(ItemDeadLetters), e => e["itemId"] == streamed);
    }

    [Fact]
    public async Task Malformed_item_stream_entries_are_dead_lettered_naming_the_field_and_change_nothing()
    {
        var db = RedisClient.GetDatabase();
        var before = await LogLengthAsync();
        var tag = Guid.NewGuid().ToString("N");
        (NameValueEntry[] Entry, string Reason)[] cases =
        [
            ([new("op", "put"), new("itemId", $"m1-{tag}"), new("json", """{"title":""")], "json"),
            ([new("op", "put"), new("itemId", $"m2-{tag}"), new("json", "null")], "body"),
            ([new("op", "put"), new("itemId", $"m3-{tag}")], "json"),
            ([new("op", "upsert"), new("itemId", $"m4-{tag}"), new("json", Body("t", []))], "op"),
            ([new("itemId", $"m5-{tag}"), new("json", Body("t", []))], "op"),
            ([new("op", "put"), new("itemId", $"bad/{tag}"), new("json", Body("t", []))], "itemId"),
            ([new("op", "put"), new("itemId", $"m7-{tag}"), new("json", """{"title":"t","available":"yes"}""")], "available"),
        ];
        foreach (var (entry, _) in cases) await db.StreamAddAsync(ItemStream, [.. entry, new("case", tag)]);
        Assert.True(await EventuallyAsync(async () => (await db.StreamRangeAsync(ItemDeadLetters)).Count(e => e["case"] == tag) == cases.Length));
        var dead = (await db.StreamRangeAsync(ItemDeadLetters)).Where(e => e["case"] == tag).ToList();
        foreach (var (entry, reason) in cases)
        {
            var itemId = entry.FirstOrDefault(f => f.Name == "itemId").Value;
            var letter = Assert.Single(dead, e => e["itemId"] == itemId);
            Assert.Contains(reason, letter["error"].ToString(), StringComparison.Ordinal);
            Assert.False(AppliedOn(Silos[0], itemId.ToString(), (_, _) => true));
        }
        Assert.Equal(before, await LogLengthAsync());
    }

    [Fact]
    public async Task A_click_through_the_event_stream_on_an_item_published_a_moment_ago_is_accepted()
    {
        var user = $"cat-stream-{Guid.NewGuid():N}";
        var itemId = $"streamed-click-{Guid.NewGuid():N}";
        var eventId = Guid.NewGuid().ToString();
        using (var put = await PutAsync(A, itemId, Body("Clicked from the stream", ["Drama"]))) Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        // At once, before the other silo's poll: whichever silo reads the entry knows the item or catches up first.
        await RedisClient.GetDatabase().StreamAddAsync(LiveCatalogueCluster.EventStream,
        [
            new(StreamEntryFields.EventIdField, eventId),
            new(StreamEntryFields.UserIdField, user),
            new(StreamEntryFields.ItemIdField, itemId),
            new(StreamEntryFields.TypeField, "click"),
            new(StreamEntryFields.TimestampField, DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        ]);
        Assert.True(await EventuallyAsync(async () =>
            (await new ServiceClient(B).GetUserAsync(user)).RecentInteractions.Any(r => r.ItemId == itemId)
            || (await RedisClient.GetDatabase().StreamRangeAsync(LiveCatalogueCluster.EventDeadLetters)).Any(e => e.Values.Any(v => v.Value == eventId))));
        Assert.DoesNotContain(await RedisClient.GetDatabase().StreamRangeAsync(LiveCatalogueCluster.EventDeadLetters), e => e.Values.Any(v => v.Value == eventId));
        Assert.Contains(itemId, (await new ServiceClient(A).GetUserAsync(user)).RecentInteractions.Select(r => r.ItemId));
    }

    [Fact]
    public async Task A_retired_item_leaves_every_silo_local_cached_feed_as_soon_as_every_silo_applied_the_retire()
    {
        var (user, _) = await UserWithOneClickAsync(A);
        var feed = await FeedIdsAsync(A, user);
        Assert.Equal(feed, await FeedIdsAsync(B, user));
        Assert.Equal(feed, await FeedIdsAsync(A, user));
        // The silo holding the user's activation answers plain reads from its silo-local feeds.
        var local = Silos.Select(s => s.Services.GetRequiredService<SiloLocalFeeds>()).Where(l => l.TryAnswer(user, 50) is not null).ToList();
        Assert.Single(local);
        var retired = feed[0];
        using (var delete = await B.DeleteAsync($"/v1/items/{retired}")) Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        Assert.True(await EventuallyAsync(() => Task.FromResult(Silos.All(s => AppliedOn(s, retired, (live, index) => live.Additions.HiddenIndexes.Contains(index))))));

        // No waiting for the silo-local refresh to lapse: the cached feed answers no more, and every read leaves it out.
        Assert.Null(local[0].TryAnswer(user, 50));
        Assert.DoesNotContain(retired, await FeedIdsAsync(A, user));
        Assert.DoesNotContain(retired, await FeedIdsAsync(B, user));
    }

    [Fact]
    public async Task Item_stream_entries_of_one_item_are_applied_in_stream_order_by_one_reader_at_a_time()
    {
        var db = RedisClient.GetDatabase();
        var itemId = $"ordered-{Guid.NewGuid():N}";
        var retired = $"ordered-retired-{Guid.NewGuid():N}";
        // Entries arrive while the first are applied, so two readers of the group would each take some: the last update must still win.
        for (var v = 1; v <= 60; v++)
        {
            await db.StreamAddAsync(ItemStream, [new("op", "put"), new("itemId", itemId), new("json", Body($"Version {v}", ["Drama"]))]);
            if (v == 30)
            {
                await db.StreamAddAsync(ItemStream, [new("op", "put"), new("itemId", retired), new("json", Body("Short-lived", ["Drama"]))]);
                await db.StreamAddAsync(ItemStream, [new("op", "delete"), new("itemId", retired)]);
            }
        }
        Assert.True(await EventuallyAsync(async () => await ItemStreamDrainedAsync() && (await GetItemAsync(A, itemId)).Title == "Version 60"));
        Assert.True(await EventuallyAsync(async () => (await GetItemAsync(B, itemId)).Title == "Version 60"));
        Assert.True((await GetItemAsync(A, retired)).Retired);
        Assert.True(await EventuallyAsync(async () => (await GetItemAsync(B, retired)).Retired));
        var reader = await db.StringGetAsync($"{ItemStream}:reader");
        Assert.Contains(reader.ToString(), (await db.StreamConsumerInfoAsync(ItemStream, "llmrec-catalogue")).Select(c => c.Name.ToString()));
    }

    private async Task<bool> ItemStreamDrainedAsync()
    {
        var group = (await RedisClient.GetDatabase().StreamGroupInfoAsync(ItemStream)).Single();
        return group.Lag == 0 && group.PendingMessageCount == 0;
    }
}
