using System.Net;
using System.Text.Json;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// <c>POST /v1/admin/model/reload</c> on a running silo: a new model in Model:Directory is swapped in without a restart
/// and users are folded in with it; a broken or foreign model is refused with 409 and the old one keeps serving.
/// </summary>
public sealed class ModelReloadTests : IAsyncLifetime
{
    private GenreWorld _world = null!;
    private SiloServer _silo = null!;

    public async Task InitializeAsync()
    {
        _world = GenreWorld.Create();
        _silo = await _world.StartSiloAsync();
    }

    [Fact]
    public async Task A_new_model_is_served_after_a_reload_and_bad_ones_are_refused()
    {
        var client = new ServiceClient(_silo.Client);
        var userId = $"reload-{Guid.NewGuid():N}";
        var items = _world.PopularItems();
        await client.PostEventsAsync(ServiceFixture.Event("1", userId, items[0]), ServiceFixture.Event("2", userId, items[1]));
        var (original, users, itemMap, originalManifest) = ModelDirectory.Load(_world.ModelPath);
        var before = await client.GetFeedAsync(userId, "k=10");
        Assert.Equal(originalManifest.Version, before.ModelVersion);

        // The same directory holds the same model: nothing to do.
        var unchanged = await ReloadAsync(HttpStatusCode.OK);
        Assert.False(unchanged.GetProperty("changed").GetBoolean());

        // A model with unrelated item vectors, so the feed must change.
        var turnedManifest = _world.WriteUnrelatedModel(seed: 8);

        var reload = await ReloadAsync(HttpStatusCode.OK);
        Assert.True(reload.GetProperty("changed").GetBoolean());
        Assert.Equal(turnedManifest.Version, reload.GetProperty("version").GetString());
        // The default scope is the cluster: here, one silo.
        var silo = Assert.Single(reload.GetProperty("silos").EnumerateArray());
        Assert.Equal(originalManifest.Version, silo.GetProperty("previousVersion").GetString());
        Assert.Equal(turnedManifest.Version, silo.GetProperty("version").GetString());
        Assert.True(silo.GetProperty("changed").GetBoolean());
        // This silo alone: it already serves the turned model.
        var local = await ReloadAsync(HttpStatusCode.OK, "?scope=silo");
        Assert.False(local.GetProperty("changed").GetBoolean());
        Assert.Equal(turnedManifest.Version, local.GetProperty("previousVersion").GetString());
        var after = await client.GetFeedAsync(userId, "k=10");
        Assert.Equal(turnedManifest.Version, after.ModelVersion);
        Assert.NotEqual(before.Items.Select(i => i.ItemId), after.Items.Select(i => i.ItemId));
        Assert.DoesNotContain(after.Items, i => i.ItemId == items[0] || i.ItemId == items[1]);

        // A truncated weights file: refused, the turned model keeps serving.
        var weights = Path.Combine(_world.ModelPath, ModelDirectory.WeightsFile);
        var bytes = await File.ReadAllBytesAsync(weights);
        await File.WriteAllBytesAsync(weights, bytes[..(bytes.Length / 2)]);
        var truncated = await ReloadAsync(HttpStatusCode.Conflict);
        Assert.Contains("cannot be read", truncated.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(turnedManifest.Version, Assert.Single(truncated.GetProperty("silos").EnumerateArray()).GetProperty("version").GetString());
        var truncatedHere = await ReloadAsync(HttpStatusCode.Conflict, "?scope=silo");
        Assert.Contains("cannot be read", truncatedHere.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var badScope = await ReloadAsync(HttpStatusCode.BadRequest, "?scope=everywhere");
        Assert.True(badScope.GetProperty("errors").TryGetProperty("scope", out _));

        // A model for another item map: refused by name.
        var fewerItems = new IdMap(itemMap.ExternalIds.Take(itemMap.Count - 1));
        var small = new EmbeddingModel(original.Kind, original.UserCount, fewerItems.Count, original.Dimension);
        ModelDirectory.Save(_world.ModelPath, small, users, fewerItems, ModelDirectory.CreateManifest(small, users, fewerItems, "other", seed: 9, trainingSeconds: 0));
        var foreign = await ReloadAsync(HttpStatusCode.Conflict);
        Assert.Contains("another item map", foreign.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var still = await client.GetFeedAsync(userId, "k=10");
        Assert.Equal(turnedManifest.Version, still.ModelVersion);
        Assert.Equal(after.Items.Select(i => i.ItemId), still.Items.Select(i => i.ItemId));
    }

    private Task<JsonElement> ReloadAsync(HttpStatusCode expected, string query = "") =>
        new ServiceClient(_silo.Client).ReloadModelAsync(expected, query);

    public async Task DisposeAsync()
    {
        if (_silo is not null) await _silo.DisposeAsync();
        _world?.Dispose();
    }
}
