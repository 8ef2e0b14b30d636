using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>With <c>Model:WatchInterval</c>, a silo picks a new model in its directory up by itself.</summary>
public sealed class ModelWatchTests : IAsyncLifetime
{
    private GenreWorld _world = null!;
    private SiloServer _silo = null!;

    public async Task InitializeAsync()
    {
        _world = GenreWorld.Create();
        _silo = await _world.StartSiloAsync(new Dictionary<string, string> { ["Model:WatchInterval"] = "00:00:01" });
    }

    [Fact]
    public async Task A_new_model_written_to_the_directory_is_served_without_a_call()
    {
        var client = new ServiceClient(_silo.Client);
        var userId = $"watch-{Guid.NewGuid():N}";
        await client.PostEventsAsync(ServiceFixture.Event("1", userId, _world.PopularItems()[0]));
        var manifest = ModelDirectory.ReadManifest(_world.ModelPath);
        Assert.Equal(manifest.Version, (await client.GetFeedAsync(userId, "k=5")).ModelVersion);

        var nextManifest = _world.WriteUnrelatedModel(seed: 11);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        string? served;
        do
        {
            await Task.Delay(200);
            served = (await client.GetFeedAsync(userId, "k=5")).ModelVersion;
        }
        while (served != nextManifest.Version && DateTime.UtcNow < deadline);
        Assert.Equal(nextManifest.Version, served);
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null) await _silo.DisposeAsync();
        _world?.Dispose();
    }
}
