using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Silo.Memory;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// What lets the silo give memory back after idle users left: the activation count the reclaimer watches follows
/// Orleans' catalog, and the directory cache (an address per user seen, kept after deactivation) is bounded.
/// </summary>
[Collection(ServiceOverRedis.Name)]
public class IdleMemoryTests(ServiceFixture service)
{
    [Fact]
    public async Task Deactivated_user_grains_are_counted_and_the_directory_cache_is_bounded()
    {
        var silo = service.Silo.Services;
        var activations = silo.GetRequiredService<ActivationCount>();
        var item = service.World.PopularItems()[0];
        var users = Enumerable.Range(0, 20).Select(i => $"idle-{i}-{Guid.NewGuid():N}").ToArray();
        var created = activations.Created;
        await service.PostEventsAsync([.. users.Select(u => ServiceFixture.Event(Guid.NewGuid().ToString(), u, item))]);
        Assert.True(activations.Created >= created + users.Length, $"{activations.Created - created} created");

        var destroyed = activations.Destroyed;
        var address = silo.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        var management = silo.GetRequiredService<IGrainFactory>().GetGrain<IManagementGrain>(0);
        // Collected once idle for 10 ms; asked again until they are (a loaded machine may still be finishing a write).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            await Task.Delay(50);
            await management.ForceActivationCollection([address], TimeSpan.FromMilliseconds(10));
            if (activations.Destroyed >= destroyed + users.Length) break;
            Assert.True(DateTime.UtcNow < deadline, $"{activations.Destroyed - destroyed} of {users.Length} destroyed");
        }

        Assert.Equal(100_000, silo.GetRequiredService<IOptions<GrainDirectoryOptions>>().Value.CacheSize);
    }
}
