using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orleans.LlmRec.IntegrationTests.Infrastructure;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// The request budget (<c>Availability:RequestBudget</c>) on a batch of events that fans out to several user grains: the
/// calls share one expiry, every one of them is cut at the deadline, and the batch is answered 503 naming the users it
/// could not confirm; re-sending it once storage is back applies each event once.
/// </summary>
public sealed class RequestBudgetTests : IAsyncLifetime
{
    private GenreWorld _world = null!;
    private RedisServer _redis = null!;
    private SiloServer _silo = null!;

    public async Task InitializeAsync()
    {
        _world = GenreWorld.Create();
        _redis = await RedisServer.StartAsync();
        var ports = FreePorts.Take(3);
        var shared = RedisClusterSettings.Shared(_redis, $"budget-{Guid.NewGuid():N}");
        _silo = await SiloServer.StartAsync(ports[0], new Dictionary<string, string>(RedisClusterSettings.Silo(shared, _world, ports[1], ports[2]))
        {
            ["Model:OnnxFolder"] = _world.OnnxFolder,
            ["Availability:RequestBudget"] = "00:00:01",
        });
    }

    [Fact]
    public async Task A_batch_whose_writes_hang_is_cut_at_the_budget_for_every_user_and_a_resend_applies_each_event_once()
    {
        var items = _world.PopularItems();
        string[] users = [.. Enumerable.Range(0, 3).Select(i => $"budget-{i}-{Guid.NewGuid():N}")];
        // Activated and stored first: what hangs below is the write of the next batch, not an activation.
        using (var warm = await PostAsync([.. users.Select(u => ServiceFixture.Event($"warm-{u}", u, items[0]))]))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        object[] batch = [.. users.SelectMany(u => new[] { ServiceFixture.Event($"a-{u}", u, items[1]), ServiceFixture.Event($"b-{u}", u, items[2]) })];
        _redis.Pause();
        var clock = Stopwatch.StartNew();
        HttpResponseMessage cut;
        try
        {
            cut = await PostAsync(batch);
        }
        finally
        {
            _redis.Resume();
        }
        using (cut)
        {
            // Bounded, not timed: without the budget the answer waits for Redis' own 5 s timeout or Orleans' 10 s one.
            Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(4));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, cut.StatusCode);
            using var problem = JsonDocument.Parse(await cut.Content.ReadAsStringAsync());
            Assert.Equal("timeout", problem.RootElement.GetProperty("outage").GetString());
            Assert.Equal(users.Order(), problem.RootElement.GetProperty("unconfirmedUsers").EnumerateArray().Select(u => u.GetString()!).Order());
            Assert.Empty(problem.RootElement.GetProperty("appliedUsers").EnumerateArray());
        }

        // The cut writes may still have landed once Redis was back: a resend is applied or recognised, never twice.
        var resent = await new ServiceClient(_silo.Client).PostEventsAsync(batch);
        Assert.Equal((batch.Length, users.Length), (resent.Accepted + resent.Duplicates, resent.Users));
        foreach (var user in users)
        {
            var view = await new ServiceClient(_silo.Client).GetUserAsync(user);
            Assert.Equal([items[2], items[1], items[0]], view.RecentInteractions.Select(i => i.ItemId));
        }
    }

    private Task<HttpResponseMessage> PostAsync(object[] events) => _silo.Client.PostAsJsonAsync("/v1/events", events, ServiceFixture.Json);

    public async Task DisposeAsync()
    {
        if (_silo is not null) await _silo.DisposeAsync();
        if (_redis is not null) await _redis.DisposeAsync();
        _world?.Dispose();
    }
}
