using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Silo.Apis;

namespace Orleans.LlmRec.IntegrationTests;

public sealed partial class LiveCatalogueTests
{
    /// <summary>
    /// The cached-read shortcut answers only feeds made over the catalogue the silo serves now
    /// (<see cref="SiloLocalFeeds"/> checks the generation): once the silo holding the user applied a retire, not one
    /// read, the very first included, is answered with the kept feed that held the item.
    /// </summary>
    [Fact]
    public async Task A_retired_item_is_never_answered_by_the_cached_read_shortcut()
    {
        var (user, _) = await UserWithOneClickAsync(A);
        foreach (var silo in Silos) await FeedIdsAsync(silo.Client, user);
        var host = Silos.Single(s => s.Services.GetRequiredService<SiloLocalFeeds>().TryAnswer(user, 50) is not null);
        var answered = host.Services.GetRequiredService<CachedFeedReads.Answered>();
        var before = answered.Count;
        var cached = await FeedIdsAsync(host.Client, user);
        Assert.Equal(before + 1, answered.Count);

        var model = host.Services.GetRequiredService<SiloModel>();
        var generation = model.Catalogue.Generation;
        var retired = cached[0];
        using (var delete = await host.Client.DeleteAsync($"/v1/items/{retired}"))
        {
            Assert.Equal(HttpStatusCode.OK, delete.StatusCode);
        }
        var deadline = DateTime.UtcNow + Patience;
        while (model.Catalogue.Generation == generation && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.NotEqual(generation, model.Catalogue.Generation);

        for (var read = 0; read < 3; read++)
        {
            Assert.DoesNotContain(retired, await FeedIdsAsync(host.Client, user));
        }
        // The shortcut answers again once the grain kept the new feed.
        Assert.True(answered.Count > before + 1);
    }
}
