using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// The item API through an API tier (an Orleans client with no catalogue of its own) in front of a real silo over a
/// real Redis: writes are validated and applied by the silo into the one catalogue log, and served by it.
/// </summary>
public sealed class LiveCatalogueApiTierTests : IAsyncLifetime
{
    private const string LogKey = "llmrec:catalogue";
    private GenreWorld _world = null!;
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _redisClient = null!;
    private SiloServer _silo = null!;
    private SiloServer _tier = null!;

    public async Task InitializeAsync()
    {
        _world = GenreWorld.Create();
        _redis = await RedisServer.StartAsync();
        _redisClient = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var shared = RedisClusterSettings.Shared(_redis, $"tier-items-{Guid.NewGuid():N}");
        var ports = FreePorts.Take(3);
        _silo = await SiloServer.StartAsync(ports[0], new Dictionary<string, string>(RedisClusterSettings.Silo(shared, _world, ports[1], ports[2]))
        {
            ["Catalogue:LogPollInterval"] = "00:00:00.020",
            ["Feed:ScoringBudget"] = "00:00:05",
            ["Availability:RequestBudget"] = "00:00:10",
        });
        _tier = await SiloServer.StartAsync(FreePorts.Take(1)[0], new Dictionary<string, string>(shared) { ["Silo:Role"] = "ApiTier" });
        await LocalCluster.WaitUntilActiveAsync([_silo.Client], 1, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task An_item_put_through_the_tier_is_served_by_the_silo_and_a_delete_through_the_tier_removes_it_from_feeds()
    {
        var tier = _tier.Client;
        var user = $"tier-{Guid.NewGuid():N}";
        var clicked = _world.PopularItems()[0];
        await new ServiceClient(tier).PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), user, clicked));
        var itemId = $"tier-new-{Guid.NewGuid():N}";
        var body = JsonSerializer.Serialize(new { title = "Through the tier", tags = _world.GenresOf(clicked), publishedAt = DateTimeOffset.UtcNow });

        using (var put = await PutAsync(tier, itemId, body))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            var view = (await put.Content.ReadFromJsonAsync<ItemView>(ServiceFixture.Json))!;
            Assert.False(view.Trained);
            Assert.Equal("tags", view.VectorSource);
            Assert.NotNull(view.CatalogueVersion);
        }
        var length = await _redisClient.GetDatabase().StreamLengthAsync(LogKey);
        using (var again = await PutAsync(tier, itemId, body))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }
        Assert.Equal(length, await _redisClient.GetDatabase().StreamLengthAsync(LogKey)); // idempotent: nothing appended

        Assert.Equal("Through the tier", (await GetItemAsync(tier, itemId)).Title);
        Assert.Equal("Through the tier", (await GetItemAsync(_silo.Client, itemId)).Title);
        Assert.Contains(itemId, await FeedIdsAsync(tier, user));
        Assert.Contains(itemId, await FeedIdsAsync(_silo.Client, user));

        using (var delete = await tier.DeleteAsync($"/v1/items/{itemId}"))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
            Assert.True((await delete.Content.ReadFromJsonAsync<ItemView>(ServiceFixture.Json))!.Retired);
        }
        Assert.DoesNotContain(itemId, await FeedIdsAsync(tier, user));
        Assert.DoesNotContain(itemId, await FeedIdsAsync(_silo.Client, user));
        using (var republish = await PutAsync(tier, itemId, body))
        {
            Assert.Equal(HttpStatusCode.Conflict, republish.StatusCode);
        }
        using var unknown = await tier.DeleteAsync($"/v1/items/never-{Guid.NewGuid():N}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_malformed_body_through_the_tier_gets_400_naming_the_field_and_changes_nothing()
    {
        var length = await _redisClient.GetDatabase().StreamLengthAsync(LogKey);
        var itemId = $"tier-bad-{Guid.NewGuid():N}";
        (string Json, string Field)[] cases =
        [
            ("""{"text":"no title"}""", "title"),
            ("""{"title":"t","tags":["a",""]}""", "tags[1]"),
            ("""{"title":"t","publishedAt":"2999-01-01T00:00:00Z"}""", "publishedAt"),
            ("""{"title":"t","available":"yes"}""", "available"),
            ("null", "body"),
        ];
        foreach (var (json, field) in cases)
        {
            using var response = await PutAsync(_tier.Client, itemId, json);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{json}: {(int)response.StatusCode} {body}");
            Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty(field, out _), $"{json}: {body}");
        }
        using (var badId = await PutAsync(_tier.Client, "bad id ", """{"title":"t"}"""))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badId.StatusCode);
        }
        using var get = await _tier.Client.GetAsync($"/v1/items/{itemId}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(length, await _redisClient.GetDatabase().StreamLengthAsync(LogKey));
    }

    private static Task<HttpResponseMessage> PutAsync(HttpClient client, string itemId, string json) =>
        client.PutAsync($"/v1/items/{Uri.EscapeDataString(itemId)}", new StringContent(json, Encoding.UTF8, "application/json"));

    private static async Task<ItemView> GetItemAsync(HttpClient client, string itemId) =>
        (await client.GetFromJsonAsync<ItemView>($"/v1/items/{Uri.EscapeDataString(itemId)}", ServiceFixture.Json))!;

    private static async Task<List<string>> FeedIdsAsync(HttpClient via, string user) =>
        [.. (await new ServiceClient(via).GetFeedAsync(user, "k=50")).Items.Select(i => i.ItemId)];

    public async Task DisposeAsync()
    {
        if (_tier is not null) await _tier.DisposeAsync();
        if (_silo is not null) await _silo.DisposeAsync();
        if (_redisClient is not null) await _redisClient.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
        _world?.Dispose();
    }
}
