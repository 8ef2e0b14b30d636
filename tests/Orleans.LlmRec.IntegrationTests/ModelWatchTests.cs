using System.Globalization;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>With <c>Model:WatchIntervalSeconds</c>, a silo picks a new model in its directory up by itself.</summary>
public sealed class ModelWatchTests : IAsyncLifetime
{
    private GenreWorld _world = null!;
    private SiloServer _silo = null!;

    public async Task InitializeAsync()
    {
        _world = GenreWorld.Create();
        var ports = FreePorts.Take(3);
        _silo = await SiloServer.StartAsync(ports[0], new Dictionary<string, string>
        {
            ["Silo:SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
            ["Catalogue:DatasetPath"] = _world.DatasetPath,
            ["Catalogue:Format"] = "ml-latest-small",
            ["Model:Directory"] = _world.ModelPath,
            ["Model:OnnxFolder"] = _world.OnnxFolder,
            ["Model:WatchIntervalSeconds"] = "1",
            ["Feed:ScoringBudgetMs"] = "5000",
            ["Logging:LogLevel:Default"] = "Warning",
        });
    }

    [Fact]
    public async Task A_new_model_written_to_the_directory_is_served_without_a_call()
    {
        var client = new ServiceClient(_silo.Client);
        var userId = $"watch-{Guid.NewGuid():N}";
        await client.PostEventsAsync(ServiceFixture.Event("1", userId, _world.PopularItems()[0]));
        var (original, _, items, manifest) = ModelDirectory.Load(_world.ModelPath);
        Assert.Equal(manifest.Version, (await client.GetFeedAsync(userId, "k=5")).ModelVersion);

        var next = new EmbeddingModel(original.Kind, original.UserCount, original.ItemCount, original.Dimension);
        var random = new Random(11);
        for (var i = 0; i < next.ItemVectors.Length; i++) next.ItemVectors[i] = (float)(random.NextDouble() - 0.5);
        var users = new IdMap(File.ReadAllLines(Path.Combine(_world.ModelPath, ModelDirectory.UsersFile)));
        var nextManifest = ModelDirectory.CreateManifest(next, users, items, _world.Dataset.Name, seed: 11, trainingSeconds: 0);
        ModelDirectory.Save(_world.ModelPath, next, users, items, nextManifest);

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
