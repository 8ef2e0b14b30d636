using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.IntegrationTests.Infrastructure;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// Plain reads of a cached feed answered by the silo that holds the user's grain, without a grain call
/// (<see cref="SiloLocalFeeds"/>): a click is in the very next feed, the ETag follows the feed, and a silo that does not
/// (or no longer) hold the activation never answers from a body of its own. Two in-process silos over one Redis.
/// </summary>
public sealed class LocalFeedReadTests : IAsyncLifetime
{
    private GenreWorld _world = null!;
    private RedisServer _redis = null!;
    private readonly List<SiloServer> _silos = [];

    public async Task InitializeAsync()
    {
        _world = GenreWorld.Create();
        _redis = await RedisServer.StartAsync();
        var shared = RedisClusterSettings.Shared(_redis, $"local-{Guid.NewGuid():N}");
        foreach (var _ in Enumerable.Range(0, 2))
        {
            var ports = FreePorts.Take(3);
            _silos.Add(await SiloServer.StartAsync(ports[0], RedisClusterSettings.Silo(shared, _world, ports[1], ports[2])));
        }
        await LocalCluster.WaitUntilActiveAsync([.. _silos.Select(s => s.Client)], 2, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task A_cached_read_is_answered_locally_and_a_click_is_in_the_next_feed_with_a_new_etag()
    {
        var silo = _silos[0];
        var userId = $"local-{Guid.NewGuid():N}";
        await new ServiceClient(silo.Client).PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), userId, _world.PopularItems()[0], "like"));
        var (first, firstTag) = await ReadAsync(silo, userId);
        var host = await HostOfAsync(userId);
        var hits = host.Services.GetRequiredService<SiloLocalFeeds>().Hits;
        var (again, againTag) = await ReadAsync(host, userId);
        Assert.Equal(firstTag, againTag);
        Assert.Equal(first.Items.Select(i => i.ItemId), again.Items.Select(i => i.ItemId));
        Assert.Equal(hits + 1, host.Services.GetRequiredService<SiloLocalFeeds>().Hits);
        Assert.Equal(HttpStatusCode.NotModified, await StatusWithTagAsync(host, userId, firstTag));

        // The click goes through the other silo: the holding silo's entry is withdrawn before the click's 200.
        var clicked = again.Items[0].ItemId;
        await new ServiceClient(Other(host).Client).PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), userId, clicked));
        var (after, afterTag) = await ReadAsync(host, userId);
        Assert.DoesNotContain(after.Items, i => i.ItemId == clicked);
        Assert.NotEqual(firstTag, afterTag);
        Assert.Equal(HttpStatusCode.OK, await StatusWithTagAsync(host, userId, firstTag));
        Assert.Equal(HttpStatusCode.NotModified, await StatusWithTagAsync(host, userId, afterTag));
    }

    [Fact]
    public async Task Only_the_silo_holding_the_activation_answers_locally_even_as_the_activation_moves()
    {
        var userId = $"moving-{Guid.NewGuid():N}";
        await new ServiceClient(_silos[0].Client).PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), userId, _world.PopularItems()[1], "like"));
        for (var round = 0; round < 4; round++)
        {
            foreach (var silo in _silos)
            {
                await ReadAsync(silo, userId);
                await ReadAsync(silo, userId);
            }
            var host = await HostOfAsync(userId);
            Assert.Null(Other(host).Services.GetRequiredService<SiloLocalFeeds>().TryAnswer(userId, 20));
            var (feed, tag) = await ReadAsync(host, userId);

            var clicked = feed.Items[0].ItemId;
            await new ServiceClient(_silos[round % 2].Client).PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), userId, clicked));
            foreach (var silo in _silos)
            {
                var (after, afterTag) = await ReadAsync(silo, userId);
                Assert.DoesNotContain(after.Items, i => i.ItemId == clicked);
                Assert.NotEqual(tag, afterTag);
            }

            // Deactivated, the grain takes its entry with it; the next call may place it on either silo.
            await DeactivateAsync(host);
            Assert.Null(host.Services.GetRequiredService<SiloLocalFeeds>().TryAnswer(userId, 20));
        }
    }

    private static async Task<(Feed Feed, string ETag)> ReadAsync(SiloServer silo, string userId)
    {
        using var response = await silo.Client.GetAsync($"/v1/users/{userId}/feed?k=20");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return (JsonSerializer.Deserialize<Feed>(body, ServiceFixture.Json)!, response.Headers.ETag!.Tag);
    }

    private static async Task<HttpStatusCode> StatusWithTagAsync(SiloServer silo, string userId, string etag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/users/{userId}/feed?k=20");
        request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(etag));
        using var response = await silo.Client.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<SiloServer> HostOfAsync(string userId)
    {
        var inspection = await _silos[0].Services.GetRequiredService<IGrainFactory>().GetGrain<IUserGrain>(userId).InspectAsync();
        return _silos.Single(s => s.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString() == inspection.Silo);
    }

    private SiloServer Other(SiloServer silo) => _silos.Single(s => s != silo);

    private static async Task DeactivateAsync(SiloServer silo)
    {
        var address = silo.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        var management = silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        // Everything idle on that silo is collected; the deactivation hook has run when the call returns.
        await Task.Delay(50);
        await management.ForceActivationCollection([address], TimeSpan.FromMilliseconds(10));
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos) await silo.DisposeAsync();
        await _redis.DisposeAsync();
        _world.Dispose();
    }
}
