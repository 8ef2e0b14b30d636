using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.IntegrationTests.Infrastructure;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// The host with no configuration but ports and a smaller synthetic catalogue: localhost clustering, memory storage,
/// a model trained at start, exported to ONNX and served through the scorer.
/// </summary>
public sealed class EmbeddedDefaultTests : IAsyncLifetime
{
    private SiloServer _silo = null!;

    public async Task InitializeAsync()
    {
        var ports = FreePorts.Take(3);
        _silo = await SiloServer.StartAsync(ports[0], new Dictionary<string, string>
        {
            ["Silo:SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
            ["Catalogue:SyntheticUsers"] = "300",
            ["Catalogue:SyntheticItems"] = "500",
            ["Model:Epochs"] = "5",
            ["Feed:ScoringBudget"] = "00:00:05",
            ["Logging:LogLevel:Default"] = "Warning",
        });
    }

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public async Task With_no_configuration_the_service_trains_serves_and_ingests()
    {
        Assert.Equal("Healthy", await _silo.Client.GetStringAsync("/health"));

        var client = new ServiceClient(_silo.Client);
        var cold = await client.GetFeedAsync("embedded-cold", "k=10");
        Assert.Equal(FeedSource.Fallback, cold.Source);
        Assert.False(cold.Degraded);
        Assert.Equal(10, cold.Items.Count);

        var trained = await client.GetFeedAsync("1", "k=10");
        Assert.Equal(FeedSource.Model, trained.Source);
        Assert.False(trained.Degraded);
        Assert.False(string.IsNullOrEmpty(trained.ModelVersion));

        var clicked = cold.Items[0].ItemId;
        var ingest = await client.PostEventsAsync(ServiceFixture.Event("embedded-1", "embedded-cold", clicked));
        Assert.Equal(1, ingest.Accepted);
        var after = await client.GetFeedAsync("embedded-cold", "k=10");
        Assert.Equal(FeedSource.Model, after.Source);
        Assert.DoesNotContain(after.Items, i => i.ItemId == clicked);

        // The live catalogue with no setting (an in-memory log, tag placement): an item published now is served and clicked at once.
        using var put = await _silo.Client.PutAsJsonAsync("/v1/items/embedded-new", new { title = "Embedded news", tags = new[] { "news" } });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("Embedded news", (await _silo.Client.GetFromJsonAsync<ItemView>("/v1/items/embedded-new", ServiceFixture.Json))!.Title);
        Assert.Equal(1, (await client.PostEventsAsync(ServiceFixture.Event("embedded-2", "embedded-cold", "embedded-new"))).Accepted);
        Assert.Contains("embedded-new", (await client.GetUserAsync("embedded-cold")).RecentInteractions.Select(r => r.ItemId));
    }
}
