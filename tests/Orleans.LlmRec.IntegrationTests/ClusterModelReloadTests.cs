using System.Net;
using System.Text.Json;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// One <c>POST /v1/admin/model/reload</c> reloads every silo of a cluster: two silos sharing a Redis membership table
/// and one model directory, and an API tier in front of them; each silo's own model is then probed with
/// <c>scope=silo</c>.
/// </summary>
public sealed class ClusterModelReloadTests : IAsyncLifetime
{
    private GenreWorld _world = null!;
    private RedisServer _redis = null!;
    private readonly List<SiloServer> _silos = [];
    private SiloServer _tier = null!;

    public async Task InitializeAsync()
    {
        _world = GenreWorld.Create();
        _redis = await RedisServer.StartAsync();
        var cluster = $"reload-{Guid.NewGuid():N}";
        var shared = RedisClusterSettings.Shared(_redis, cluster);
        foreach (var _ in Enumerable.Range(0, 2))
        {
            var ports = FreePorts.Take(3);
            _silos.Add(await SiloServer.StartAsync(ports[0], RedisClusterSettings.Silo(shared, _world, ports[1], ports[2])));
        }
        _tier = await SiloServer.StartAsync(FreePorts.Take(1)[0], new Dictionary<string, string>(shared) { ["Silo:Role"] = "ApiTier" });
        await LocalCluster.WaitUntilActiveAsync([.. _silos.Select(s => s.Client)], 2, TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task One_call_reloads_every_silo_and_a_refusal_names_each_silo_that_kept_its_model()
    {
        var (_, _, _, original) = ModelDirectory.Load(_world.ModelPath);

        // Nothing new yet: every silo answers, none changes.
        var unchanged = await ReloadAsync(_tier, HttpStatusCode.OK);
        Assert.False(unchanged.GetProperty("changed").GetBoolean());
        Assert.Equal(original.Version, unchanged.GetProperty("version").GetString());
        Assert.Equal(2, unchanged.GetProperty("silos").GetArrayLength());

        // A new model in the shared directory, reloaded through one silo, reaches both.
        var turned = _world.WriteUnrelatedModel(seed: 11);
        var reload = await ReloadAsync(_silos[0], HttpStatusCode.OK);
        Assert.True(reload.GetProperty("changed").GetBoolean());
        Assert.Equal(turned.Version, reload.GetProperty("version").GetString());
        var silos = reload.GetProperty("silos").EnumerateArray().ToList();
        Assert.Equal(2, silos.Select(s => s.GetProperty("silo").GetString()).Distinct().Count());
        Assert.All(silos, s =>
        {
            Assert.True(s.GetProperty("changed").GetBoolean());
            Assert.Equal(original.Version, s.GetProperty("previousVersion").GetString());
            Assert.Equal(turned.Version, s.GetProperty("version").GetString());
        });
        foreach (var silo in _silos)
        {
            var own = await ReloadAsync(silo, HttpStatusCode.OK, "?scope=silo");
            Assert.False(own.GetProperty("changed").GetBoolean());
            Assert.Equal(turned.Version, own.GetProperty("version").GetString());
        }

        // A broken model: both silos refuse it, each named with its reason, and keep the turned model.
        var weights = Path.Combine(_world.ModelPath, ModelDirectory.WeightsFile);
        var bytes = await File.ReadAllBytesAsync(weights);
        await File.WriteAllBytesAsync(weights, bytes[..(bytes.Length / 3)]);
        var refused = await ReloadAsync(_tier, HttpStatusCode.Conflict);
        var detail = refused.GetProperty("detail").GetString()!;
        Assert.StartsWith("2 of 2 silos kept their model.", detail, StringComparison.Ordinal);
        Assert.Contains("cannot be read", detail, StringComparison.Ordinal);
        Assert.All(refused.GetProperty("silos").EnumerateArray(), s =>
        {
            Assert.Contains("cannot be read", s.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Equal(turned.Version, s.GetProperty("version").GetString());
        });

        // The tier has no model of its own to reload.
        var notASilo = await ReloadAsync(_tier, HttpStatusCode.Conflict, "?scope=silo");
        Assert.Equal("Not a silo", notASilo.GetProperty("title").GetString());
    }

    private static Task<JsonElement> ReloadAsync(SiloServer host, HttpStatusCode expected, string query = "") =>
        new ServiceClient(host.Client).ReloadModelAsync(expected, query);

    public async Task DisposeAsync()
    {
        if (_tier is not null) await _tier.DisposeAsync();
        foreach (var silo in _silos) await silo.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
        _world?.Dispose();
    }
}
