using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.IntegrationTests.Infrastructure;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// A separate API tier (<c>Silo:Role = ApiTier</c>): an Orleans client host with the same HTTP API, in front of a silo
/// that shares its Redis membership table. Everything goes over real HTTP to the tier, through the Orleans gateway to
/// the silo; the tier loads no catalogue or model of its own.
/// </summary>
public sealed class ApiTierTests : IAsyncLifetime
{
    private GenreWorld _world = null!;
    private RedisServer _redis = null!;
    private SiloServer _silo = null!;
    private SiloServer _tier = null!;

    public async Task InitializeAsync()
    {
        _world = GenreWorld.Create();
        _redis = await RedisServer.StartAsync();
        var ports = FreePorts.Take(4);
        var cluster = $"tier-{Guid.NewGuid():N}";
        var shared = RedisClusterSettings.Shared(_redis, cluster);
        _silo = await SiloServer.StartAsync(ports[0], new Dictionary<string, string>(RedisClusterSettings.Silo(shared, _world, ports[1], ports[2]))
        {
            ["Model:OnnxFolder"] = _world.OnnxFolder,
            ["Feed:ScoringBudget"] = "00:00:05",
            // Behaviour, not latency: a cold user on a busy CI machine may take longer than the 2 s default.
            ["Availability:RequestBudget"] = "00:00:10",
        });
        // No catalogue or model settings: the tier would fail to find the synthetic default's files if it tried to
        // load them, and it must not need them.
        _tier = await SiloServer.StartAsync(ports[3], new Dictionary<string, string>(shared) { ["Silo:Role"] = "ApiTier" });
    }

    [Fact]
    public async Task Clicks_through_the_tier_reach_the_users_grain_and_its_feed()
    {
        var userId = $"tier-{Guid.NewGuid():N}";
        var items = _world.PopularItems();
        var tier = new ServiceClient(_tier.Client);

        var ingested = await tier.PostEventsAsync(ServiceFixture.Event("1", userId, items[0]), ServiceFixture.Event("2", userId, items[1], "like"));
        Assert.Equal((2, 0, 1), (ingested.Accepted, ingested.Duplicates, ingested.Users));
        var again = await tier.PostEventsAsync(ServiceFixture.Event("1", userId, items[0]));
        Assert.Equal((0, 1), (again.Accepted, again.Duplicates));

        // The silo sees what the tier wrote: one grain, whichever host the request came in through.
        var user = await new ServiceClient(_silo.Client).GetUserAsync(userId);
        Assert.Equal([items[1], items[0]], user.RecentInteractions.Select(i => i.ItemId));

        var feed = await tier.GetFeedAsync(userId, "k=10&explain=true");
        Assert.Equal(FeedSource.Model, feed.Source);
        Assert.Equal(10, feed.Items.Count);
        Assert.DoesNotContain(feed.Items, i => i.ItemId == items[0] || i.ItemId == items[1]);
        var fromSilo = await new ServiceClient(_silo.Client).GetFeedAsync(userId, "k=10&explain=true");
        Assert.Equal(fromSilo.Items.Select(i => i.ItemId), feed.Items.Select(i => i.ItemId));
    }

    [Fact]
    public async Task Bad_input_is_refused_by_the_tier_as_it_is_by_a_silo()
    {
        var userId = $"tier-bad-{Guid.NewGuid():N}";
        var valid = ServiceFixture.Event("ok", userId, _world.PopularItems()[0]);
        using var unknownItem = await _tier.Client.PostAsJsonAsync("/v1/events", new[] { valid, ServiceFixture.Event("bad", userId, "no-such-item") }, ServiceFixture.Json);
        Assert.Equal(HttpStatusCode.BadRequest, unknownItem.StatusCode);
        using (var problem = JsonDocument.Parse(await unknownItem.Content.ReadAsStringAsync()))
        {
            Assert.True(problem.RootElement.GetProperty("errors").TryGetProperty("events[1].itemId", out _));
        }
        // The whole batch was refused: the valid event was not applied either.
        Assert.Empty((await new ServiceClient(_silo.Client).GetUserAsync(userId)).RecentInteractions);

        using var similarUnknown = await _tier.Client.GetAsync("/v1/items/no-such-item/similar?k=5");
        Assert.Equal(HttpStatusCode.NotFound, similarUnknown.StatusCode);
        Assert.Equal("application/problem+json", similarUnknown.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Similar_items_health_and_cluster_come_from_the_silos()
    {
        var item = _world.PopularItems()[0];
        var viaTier = await new ServiceClient(_tier.Client).GetSimilarAsync(item, 5);
        var viaSilo = await new ServiceClient(_silo.Client).GetSimilarAsync(item, 5);
        Assert.Equal(viaSilo.Items.Select(i => i.ItemId), viaTier.Items.Select(i => i.ItemId));
        Assert.Equal(viaSilo.ModelVersion, viaTier.ModelVersion);

        Assert.Equal("Healthy", await _tier.Client.GetStringAsync("/health"));

        using var cluster = JsonDocument.Parse(await _tier.Client.GetStringAsync("/v1/cluster"));
        var silos = cluster.RootElement.GetProperty("silos").EnumerateArray().ToList();
        var active = Assert.Single(silos, s => s.GetProperty("status").GetString() == "Active");
        Assert.Equal(cluster.RootElement.GetProperty("silo").GetString(), active.GetProperty("address").GetString());
    }

    [Fact]
    public async Task With_every_silo_gone_the_tier_answers_503_not_500()
    {
        await _silo.DisposeAsync();
        _silo = null!;

        foreach (var path in new[] { "/v1/users/gone/feed?k=5", "/v1/items/1/similar?k=5" })
        {
            using var response = await _tier.Client.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{path}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        using var health = await _tier.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
    }

    public async Task DisposeAsync()
    {
        if (_tier is not null) await _tier.DisposeAsync();
        if (_silo is not null) await _silo.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
        _world?.Dispose();
    }
}
