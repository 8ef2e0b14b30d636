using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// The live catalogue over a real Redis and two real silos (in process, one cluster): items published on one silo are
/// served by the other, clicked at once, retired from every feed (cached ones too), replayed by a restarted silo, and
/// published through the item stream; malformed bodies change nothing.
/// </summary>
public sealed class LiveCatalogueCluster : IAsyncLifetime
{
    public const string ItemStream = "llmrec:items";
    public const string EventStream = "llmrec:events";
    public const string EventDeadLetters = "llmrec:events:dead";

    public GenreWorld World { get; private set; } = null!;
    public RedisServer Redis { get; private set; } = null!;
    public ConnectionMultiplexer RedisClient { get; private set; } = null!;
    public List<SiloServer> Silos { get; } = [];
    public List<(int Http, Dictionary<string, string> Settings)> SiloSettings { get; } = [];

    public async Task InitializeAsync()
    {
        World = GenreWorld.Create();
        Redis = await RedisServer.StartAsync();
        RedisClient = await ConnectionMultiplexer.ConnectAsync(Redis.ConnectionString);
        var shared = RedisClusterSettings.Shared(Redis, $"catalogue-{Guid.NewGuid():N}");
        foreach (var _ in Enumerable.Range(0, 2))
        {
            var ports = FreePorts.Take(3);
            var settings = new Dictionary<string, string>(RedisClusterSettings.Silo(shared, World, ports[1], ports[2]))
            {
                ["Catalogue:LogPollInterval"] = "00:00:00.020",
                ["Catalogue:ItemStreamEnabled"] = "true",
                ["Catalogue:ItemStreamKey"] = ItemStream,
                ["EventStream:Enabled"] = "true",
                ["EventStream:Key"] = EventStream,
                ["EventStream:Group"] = "llmrec",
                ["EventStream:DeadLetterKey"] = EventDeadLetters,
                ["Feed:ScoringBudget"] = "00:00:05",
                ["Availability:RequestBudget"] = "00:00:10",
            };
            SiloSettings.Add((ports[0], settings));
            Silos.Add(await SiloServer.StartAsync(ports[0], settings));
        }
        await LocalCluster.WaitUntilActiveAsync([.. Silos.Select(s => s.Client)], 2, TimeSpan.FromSeconds(60));
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in Silos) await silo.DisposeAsync();
        if (RedisClient is not null) await RedisClient.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
        World?.Dispose();
    }
}

public sealed partial class LiveCatalogueTests(LiveCatalogueCluster cluster) : IClassFixture<LiveCatalogueCluster>
{
    private const string ItemStream = LiveCatalogueCluster.ItemStream;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private GenreWorld World => cluster.World;
    private ConnectionMultiplexer RedisClient => cluster.RedisClient;
    private List<SiloServer> Silos => cluster.Silos;
    private List<(int Http, Dictionary<string, string> Settings)> SiloSettings => cluster.SiloSettings;

    private HttpClient A => Silos[0].Client;
    private HttpClient B => Silos[1].Client;

    private static async Task<HttpResponseMessage> PutAsync(HttpClient client, string itemId, string json) =>
        await client.PutAsync($"/v1/items/{Uri.EscapeDataString(itemId)}", new StringContent(json, Encoding.UTF8, "application/json"));

    private static string Body(string title, IEnumerable<string> tags, bool fresh = true) => JsonSerializer.Serialize(new
    {
        title,
        text = $"{title}, published for the test",
        tags,
        publishedAt = fresh ? DateTimeOffset.UtcNow : DateTimeOffset.UtcNow.AddDays(-30),
    });

    private static async Task<ItemView> GetItemAsync(HttpClient client, string itemId) =>
        (await client.GetFromJsonAsync<ItemView>($"/v1/items/{Uri.EscapeDataString(itemId)}", ServiceFixture.Json))!;

    /// <summary>A user whose one click is on the most popular item: the new item takes that item's genres.</summary>
    private async Task<(string User, string Clicked)> UserWithOneClickAsync(HttpClient via)
    {
        var user = $"cat-{Guid.NewGuid():N}";
        var clicked = World.PopularItems()[0];
        await new ServiceClient(via).PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), user, clicked));
        return (user, clicked);
    }

    private static async Task<List<string>> FeedIdsAsync(HttpClient via, string user) =>
        [.. (await new ServiceClient(via).GetFeedAsync(user, "k=50")).Items.Select(i => i.ItemId)];

    [Fact]
    public async Task An_item_put_on_one_silo_is_served_by_the_other_and_a_click_on_it_is_accepted_and_changes_the_feed()
    {
        var (user, clicked) = await UserWithOneClickAsync(B);
        var itemId = $"new-{Guid.NewGuid():N}";
        using (var put = await PutAsync(A, itemId, Body("Fresh news", World.GenresOf(clicked))))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            var view = (await put.Content.ReadFromJsonAsync<ItemView>(ServiceFixture.Json))!;
            Assert.False(view.Trained);
            Assert.Equal("tags", view.VectorSource);
            Assert.NotNull(view.CatalogueVersion);
        }
        // The other silo knows it (catching up from Redis if its poll has not come yet) and serves it.
        var onB = await GetItemAsync(B, itemId);
        Assert.Equal("Fresh news", onB.Title);
        // Placed among the items sharing its genres: the clicked item's genres lead its similar items.
        var similar = await new ServiceClient(A).GetSimilarAsync(itemId, 5);
        Assert.Equal(5, similar.Items.Count);
        Assert.Contains(World.GenresOf(similar.Items[0].ItemId), g => World.GenresOf(clicked).Contains(g));
        Assert.Contains(itemId, await FeedIdsAsync(B, user));
        Assert.Contains(itemId, await FeedIdsAsync(A, user));

        // A click a moment after publication, through the other silo: accepted, and the feed changes (seen items leave it).
        var before = await FeedIdsAsync(B, user);
        var accepted = await new ServiceClient(B).PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), user, itemId));
        Assert.Equal(1, accepted.Accepted);
        var after = await FeedIdsAsync(B, user);
        Assert.DoesNotContain(itemId, after);
        Assert.NotEqual(before, after);
        Assert.Contains(itemId, (await new ServiceClient(A).GetUserAsync(user)).RecentInteractions.Select(r => r.ItemId));
    }

    [Fact]
    public async Task A_retired_item_leaves_every_feed_cached_ones_included_and_its_history_stays()
    {
        var (user, _) = await UserWithOneClickAsync(A);
        var first = await FeedIdsAsync(A, user);
        Assert.Equal(first, await FeedIdsAsync(A, user)); // the cached feed
        var retired = first[0];
        using (var delete = await B.DeleteAsync($"/v1/items/{retired}"))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }
        using (var again = await B.DeleteAsync($"/v1/items/{retired}"))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }
        Assert.True((await GetItemAsync(A, retired)).Retired || await EventuallyAsync(async () => (await GetItemAsync(A, retired)).Retired));
        // Each silo applies the retire within its poll interval; every feed then leaves it out.
        Assert.True(await EventuallyAsync(async () => !(await FeedIdsAsync(A, user)).Contains(retired) && !(await FeedIdsAsync(B, user)).Contains(retired)));
        // Still known: a late event on it is accepted; publishing it again is refused.
        Assert.Equal(1, (await new ServiceClient(A).PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), user, retired))).Accepted);
        using var republish = await PutAsync(A, retired, Body("Back", ["x"]));
        Assert.Equal(HttpStatusCode.Conflict, republish.StatusCode);
    }

    [Fact]
    public async Task Malformed_item_bodies_get_a_4xx_naming_the_field_and_change_nothing()
    {
        var version = await RedisClient.GetDatabase().StreamLengthAsync("llmrec:catalogue");
        var itemId = $"bad-{Guid.NewGuid():N}";
        (string Json, string Field)[] cases =
        [
            ("""{"text":"no title"}""", "title"),
            ("""{"title":"   "}""", "title"),
            ("""{"title":"t","tags":["a",""]}""", "tags[1]"),
            (JsonSerializer.Serialize(new { title = "t", tags = Enumerable.Range(0, 51).Select(i => $"t{i}") }), "tags"),
            (JsonSerializer.Serialize(new { title = new string('x', 501) }), "title"),
            ("""{"title":"t","publishedAt":"2999-01-01T00:00:00Z"}""", "publishedAt"),
            ("""{"title":"t","available":"yes"}""", "available"),
            ("""{"title":""", "title"),
            ("[1,2]", "body"),
            ("null", "body"),
        ];
        foreach (var (json, field) in cases)
        {
            using var response = await PutAsync(A, itemId, json);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{json}: {(int)response.StatusCode} {body}");
            Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty(field, out _), $"{json}: {body}");
        }
        using (var badId = await PutAsync(A, "bad id ", Body("t", [])))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
            Assert.Contains("itemId", await badId.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var text = await A.PutAsync($"/v1/items/{itemId}", new StringContent("title", Encoding.UTF8, "text/plain")))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        }
        using (var unknown = await A.DeleteAsync($"/v1/items/{itemId}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }
        using var get = await A.GetAsync($"/v1/items/{itemId}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(version, await RedisClient.GetDatabase().StreamLengthAsync("llmrec:catalogue"));
    }

    [Fact]
    public async Task Items_from_the_item_stream_are_published_and_invalid_entries_are_dead_lettered_with_the_reason()
    {
        var db = RedisClient.GetDatabase();
        var good = $"stream-{Guid.NewGuid():N}";
        var bad = $"stream-bad-{Guid.NewGuid():N}";
        await db.StreamAddAsync(ItemStream, [new("op", "put"), new("itemId", bad), new("json", """{"text":"no title"}""")]);
        await db.StreamAddAsync(ItemStream, [new("op", "put"), new("itemId", good), new("json", Body("From the stream", ["Drama"]))]);
        Assert.True(await EventuallyAsync(async () =>
        {
            using var response = await B.GetAsync($"/v1/items/{good}");
            return response.IsSuccessStatusCode;
        }));
        Assert.Equal("From the stream", (await GetItemAsync(A, good)).Title);
        var dead = await db.StreamRangeAsync("llmrec:items:dead");
        var entry = Assert.Single(dead, e => e["itemId"] == bad);
        Assert.Contains("title", entry["error"].ToString(), StringComparison.Ordinal);
        using var missing = await A.GetAsync($"/v1/items/{bad}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        await db.StreamAddAsync(ItemStream, [new("op", "delete"), new("itemId", good)]);
        Assert.True(await EventuallyAsync(async () => (await GetItemAsync(A, good)).Retired));
    }

    [Fact]
    public async Task A_restarted_silo_has_the_items_added_before_as_soon_as_it_starts()
    {
        var itemId = $"kept-{Guid.NewGuid():N}";
        using (var put = await PutAsync(A, itemId, Body("Kept", ["Comedy"])))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        using (var retire = await A.DeleteAsync($"/v1/items/{World.PopularItems()[5]}"))
        {
            Assert.Equal(HttpStatusCode.OK, retire.StatusCode);
        }
        var expected = await GetItemAsync(A, itemId);
        await Silos[1].DisposeAsync();
        var (http, settings) = SiloSettings[1];
        Silos[1] = await SiloServer.StartAsync(http, settings);

        // Replayed before the host started serving: no request was needed to catch up.
        var live = Silos[1].Services.GetRequiredService<LiveCatalogue>();
        Assert.True(live.Catalogue.TryGetIndex(itemId, out var index));
        Assert.True(Silos[0].Services.GetRequiredService<LiveCatalogue>().Catalogue.TryGetIndex(itemId, out var indexOnA));
        Assert.Equal(indexOnA, index);
        Assert.True(live.Catalogue.TryGetIndex(World.PopularItems()[5], out var retired));
        Assert.Contains(retired, live.Additions.HiddenIndexes);
        var replayed = await GetItemAsync(B, itemId);
        Assert.Equal(JsonSerializer.Serialize(expected with { CatalogueVersion = null }), JsonSerializer.Serialize(replayed with { CatalogueVersion = null }));
    }

    [Fact]
    public async Task Replay_publishes_items_at_their_time_between_the_clicks_so_clicks_on_them_are_accepted()
    {
        var folder = Directory.CreateTempSubdirectory("llmrec-replay-items-").FullName;
        try
        {
            var prefix = $"ri-{Guid.NewGuid():N}"[..11];
            var start = DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds();
            var trained = World.PopularItems();
            var rows = new List<string>();
            var items = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                var itemId = $"{prefix}-item-{i}";
                // Published at start + 1000·i; clicked from then on, between clicks on trained items.
                items.Add(JsonSerializer.Serialize(new { itemId, at = start + 1000 * i, title = $"Replayed {i}", tags = new[] { "Drama" } }));
                for (var u = 0; u < 4; u++)
                {
                    rows.Add(FormattableString.Invariant($"{prefix}-u{u},{trained[u + i]},4,{start + 1000 * i - 10 + u}"));
                    rows.Add(FormattableString.Invariant($"{prefix}-u{u},{itemId},4,{start + 1000 * i + 5 + u}"));
                }
            }
            await File.WriteAllTextAsync(Path.Combine(folder, "events.csv"), "userId,itemId,rating,timestamp\n" + string.Join('\n', rows) + "\n");
            await File.WriteAllLinesAsync(Path.Combine(folder, "items.jsonl"), items);

            var result = await CliProcess.RunAsync(TimeSpan.FromSeconds(120),
                "replay", "--data", Path.Combine(folder, "events.csv"), "--format", "csv", "--rate", "0", "--batch", "2", "--concurrency", "1",
                "--items", Path.Combine(folder, "items.jsonl"), "--target", A.BaseAddress!.ToString());
            Assert.True(result.ExitCode == 0, result.Output);
            Assert.Equal(rows.Count, ReplayData.Figure(result.Output, "accepted"));
            Assert.Equal(3, ReplayData.Figure(result.Output, "items published"));
            Assert.Equal("Replayed 2", (await GetItemAsync(B, $"{prefix}-item-2")).Title);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A bounded wait for something another silo applies on its next poll (not a timing assertion).</summary>
    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return true;
            await Task.Delay(50);
        }
        return await condition();
    }
}
