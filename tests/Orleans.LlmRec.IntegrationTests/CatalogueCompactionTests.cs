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
/// The catalogue log compacted over a real Redis and two real silos: silo A compacts in the background once the log
/// is long enough (a snapshot, the log trimmed before it); silo B, which does not poll, falls behind the trim and
/// catches up through the snapshot; A restarted has every item, the retired ones retired, none twice.
/// </summary>
public sealed class CatalogueCompactionTests : IAsyncLifetime
{
    private const string LogKey = "llmrec:catalogue";
    private GenreWorld _world = null!;
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _redisClient = null!;
    private SiloServer _a = null!;
    private SiloServer _b = null!;
    private (int Http, Dictionary<string, string> Settings) _aSettings;

    public async Task InitializeAsync()
    {
        _world = GenreWorld.Create();
        _redis = await RedisServer.StartAsync();
        _redisClient = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var shared = RedisClusterSettings.Shared(_redis, $"compaction-{Guid.NewGuid():N}");
        var ports = FreePorts.Take(6);
        _aSettings = (ports[0], new Dictionary<string, string>(RedisClusterSettings.Silo(shared, _world, ports[1], ports[2]))
        {
            ["Catalogue:LogPollInterval"] = "00:00:00.020",
            ["Catalogue:LogCompactAboveEntries"] = "10",
            ["Catalogue:LogCompactionCheckInterval"] = "00:00:00.200",
            ["Catalogue:LogCompactionMinAge"] = "00:00:00",
        });
        _a = await SiloServer.StartAsync(_aSettings.Http, _aSettings.Settings);
        // B never polls within the test and never compacts: it reads the log only when asked about an unknown item.
        _b = await SiloServer.StartAsync(ports[3], new Dictionary<string, string>(RedisClusterSettings.Silo(shared, _world, ports[4], ports[5]))
        {
            ["Catalogue:LogPollInterval"] = "00:01:00",
            ["Catalogue:LogCompactAboveEntries"] = "0",
        });
        await LocalCluster.WaitUntilActiveAsync([_a.Client, _b.Client], 2, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_silo_behind_the_trim_and_a_restarted_silo_rebuild_the_same_catalogue_from_the_snapshot_and_the_log()
    {
        var db = _redisClient.GetDatabase();
        var ids = Enumerable.Range(0, 11).Select(i => $"cmp-{i}").ToList();
        var trained = _world.PopularItems()[5];
        for (var i = 0; i < 5; i++) await PutAsync(_a.Client, ids[i], $"Item {i}");
        Assert.Equal("Item 0", (await GetItemAsync(_b.Client, ids[0])).Title); // B caught up through entry 5, then stops reading

        for (var i = 5; i < 10; i++) await PutAsync(_a.Client, ids[i], $"Item {i}");
        await PutAsync(_a.Client, ids[7], "Item 7, updated");
        await RetireAsync(_a.Client, ids[2]);
        await RetireAsync(_a.Client, trained);
        // 14 entries ≥ 10: A compacts on its next check.
        Assert.True(await EventuallyAsync(async () => await db.StreamLengthAsync(LogKey) < 14 && (await db.HashGetAsync($"{LogKey}:snapshot", "position")).HasValue));
        var position = (string)(await db.HashGetAsync($"{LogKey}:snapshot", "position"))!;
        Assert.Equal(position, (await db.StreamRangeAsync(LogKey, "-", "+", 1))[0].Id.ToString()); // trimmed before the snapshot's position

        await PutAsync(_a.Client, ids[10], "Item 10");
        await RetireAsync(_a.Client, ids[8]);
        var expected = StateOf(_a);

        // B, behind the trim and not polling, first hears of an item through a click on it: it applies the snapshot,
        // then the log after it, before it would call the item unknown; the click is accepted.
        var click = ServiceFixture.Event(Guid.NewGuid().ToString(), $"cmp-user-{Guid.NewGuid():N}", ids[10]);
        Assert.Equal(1, (await new ServiceClient(_b.Client).PostEventsAsync(click)).Accepted);
        Assert.Equal("Item 10", (await GetItemAsync(_b.Client, ids[10])).Title);
        Assert.Equal(expected, StateOf(_b));

        await _a.DisposeAsync();
        _a = await SiloServer.StartAsync(_aSettings.Http, _aSettings.Settings);
        Assert.Equal(expected, StateOf(_a));
        Assert.True((await GetItemAsync(_a.Client, ids[2])).Retired);
        Assert.Equal("Item 7, updated", (await GetItemAsync(_a.Client, ids[7])).Title);

        string StateOf(SiloServer silo)
        {
            var live = silo.Services.GetRequiredService<LiveCatalogue>();
            var items = ids.Append(trained).Select(id => live.Catalogue.TryGetIndex(id, out var index)
                ? $"{id}@{index}:{live.Catalogue.TitleOf(index)}:{(live.Additions.StateOf(index)?.Retired == true ? "retired" : "live")}"
                : $"{id}: missing");
            return $"{live.Additions.NewCount} new, version {live.Version}; {string.Join("; ", items)}";
        }
    }

    private static async Task PutAsync(HttpClient client, string itemId, string title)
    {
        var body = JsonSerializer.Serialize(new { title, tags = new[] { "Drama" } });
        using var response = await client.PutAsync($"/v1/items/{itemId}", new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task RetireAsync(HttpClient client, string itemId)
    {
        using var response = await client.DeleteAsync($"/v1/items/{itemId}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<ItemView> GetItemAsync(HttpClient client, string itemId) =>
        (await client.GetFromJsonAsync<ItemView>($"/v1/items/{Uri.EscapeDataString(itemId)}", ServiceFixture.Json))!;

    /// <summary>A bounded wait for the background compaction (not a timing assertion).</summary>
    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return true;
            await Task.Delay(50);
        }
        return await condition();
    }

    public async Task DisposeAsync()
    {
        if (_b is not null) await _b.DisposeAsync();
        if (_a is not null) await _a.DisposeAsync();
        if (_redisClient is not null) await _redisClient.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
        _world?.Dispose();
    }
}
