using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Silo.Apis;

namespace Orleans.LlmRec.IntegrationTests.Security;

/// <summary>
/// With keys and rate limits on, the cached-read shortcut (<see cref="CachedFeedReads"/>) sits after access control:
/// a feed the silo keeps is still refused without a credential, with the wrong scope or for another user than a key is
/// bound to, and counted against the user's rate limit.
/// </summary>
[Collection(SecuredServiceCollection.Name)]
public sealed class CachedFeedReadAccessTests(SecuredService service)
{
    [Fact]
    public async Task A_cached_feed_is_still_refused_without_the_right_credential_and_limited_per_user()
    {
        var answered = service.Silo.Services.GetRequiredService<CachedFeedReads.Answered>();
        var userId = $"guarded-{Guid.NewGuid():N}";
        var path = $"/v1/users/{userId}/feed?k=20";
        using (var cold = await service.SendAsync(HttpMethod.Get, path, service.Keys["reader"]))
        {
            var itemId = (await cold.Content.ReadFromJsonAsync<Feed>(ServiceFixture.Json))!.Items[0].ItemId;
            using var click = await service.SendAsync(HttpMethod.Post, "/v1/events", service.Keys["writer"],
                content: JsonContent.Create(new[] { ServiceFixture.Event(Guid.NewGuid().ToString(), userId, itemId, "like") }));
            Assert.Equal(HttpStatusCode.OK, click.StatusCode);
        }
        using (var personalised = await service.SendAsync(HttpMethod.Get, path, service.Keys["reader"]))
        {
            Assert.Equal(HttpStatusCode.OK, personalised.StatusCode);
        }
        var before = answered.Count;
        using (var cached = await service.SendAsync(HttpMethod.Get, path, service.Keys["reader"]))
        {
            Assert.Equal(HttpStatusCode.OK, cached.StatusCode);
        }
        Assert.Equal(before + 1, answered.Count);

        using (var anonymous = await service.SendAsync(HttpMethod.Get, path))
        {
            await AccessControlTests.AssertProblemAsync(anonymous, HttpStatusCode.Unauthorized, "");
        }
        using (var wrongScope = await service.SendAsync(HttpMethod.Get, path, service.Keys["writer"]))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrongScope.StatusCode);
        }
        using (var otherUsers = await service.SendAsync(HttpMethod.Get, path, service.Keys["bound"]))
        {
            Assert.Equal(HttpStatusCode.Forbidden, otherUsers.StatusCode);
        }
        Assert.Equal(before + 1, answered.Count);

        // The per-user bucket counts shortcut answers too: a flood of the cached feed is cut with 429.
        var flood = await Task.WhenAll(Enumerable.Range(0, 3 * SecuredService.PerUserBurst).Select(_ => service.SendAsync(HttpMethod.Get, path, service.Keys["reader"])));
        Assert.Contains(flood, r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.All(flood, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
        // Every answered read of the flood was served, none refused by the shortcut (it may also have lapsed to the grain).
        Assert.InRange(answered.Count, before + 2, before + 1 + flood.Count(r => r.StatusCode == HttpStatusCode.OK));
        foreach (var response in flood) response.Dispose();
    }
}
