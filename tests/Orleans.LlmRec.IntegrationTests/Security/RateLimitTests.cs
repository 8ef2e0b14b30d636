using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orleans.LlmRec.IntegrationTests.Infrastructure;

namespace Orleans.LlmRec.IntegrationTests.Security;

/// <summary>429 with Retry-After and a problem body: per user for reads, per credential and by event for ingestion.</summary>
[Collection(SecuredServiceCollection.Name)]
public sealed class RateLimitTests(SecuredService service)
{
    [Fact]
    public async Task A_flood_of_one_users_feed_is_answered_429_with_retry_after()
    {
        var key = service.Keys["reader"];
        var responses = await Task.WhenAll(Enumerable.Range(0, 3 * SecuredService.PerUserBurst)
            .Select(_ => service.SendAsync(HttpMethod.Get, "/v1/users/flooded/feed", key)));
        try
        {
            var limited = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
            Assert.NotEmpty(limited);
            Assert.True(responses.Count(r => r.StatusCode == HttpStatusCode.OK) >= SecuredService.PerUserBurst / 2, "the burst itself is served");
            Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
            var first = limited[0];
            Assert.True(first.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 }, "Retry-After in whole seconds");
            await AccessControlTests.AssertProblemAsync(first, HttpStatusCode.TooManyRequests, "flood");

            // Another user's feed is not held back by the flooded one's bucket.
            using var other = await service.SendAsync(HttpMethod.Get, "/v1/users/not-flooded/feed", key);
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }
        finally
        {
            foreach (var response in responses) response.Dispose();
        }
    }

    [Fact]
    public async Task Ingestion_is_limited_by_events_and_a_refused_batch_takes_nothing()
    {
        var key = service.Keys["events"];
        var items = await ItemsAsync();
        var run = Guid.NewGuid().ToString("N")[..8];
        object[] Batch(string prefix, int count) =>
            [.. Enumerable.Range(0, count).Select(i => ServiceFixture.Event($"{run}-{prefix}-{i}", $"limited-{run}-{prefix}-{i % 7}", items[i % items.Count]))];

        // 60 of the bucket's 100, then 60 more (only ~40 left: refused whole), then 30 (fits: the refusal took nothing).
        using (var first = await PostAsync(key, Batch("a", 60))) Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var second = await PostAsync(key, Batch("b", 60)))
        {
            var problem = await AccessControlTests.AssertProblemAsync(second, HttpStatusCode.TooManyRequests, "second batch");
            Assert.True(second.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 });
            Assert.Contains("No event of the batch was applied", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        using (var third = await PostAsync(key, Batch("c", 30)))
        {
            Assert.Equal(HttpStatusCode.OK, third.StatusCode);
            Assert.Equal(30, (await third.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("accepted").GetInt32());
        }
        // The refused batch applied nothing; the others did.
        Assert.Equal(0, await InteractionsAsync($"limited-{run}-b-0"));
        Assert.True(await InteractionsAsync($"limited-{run}-c-0") > 0);
    }

    [Fact]
    public async Task Events_are_also_limited_per_user_with_429_retry_after_and_a_problem_naming_the_limit()
    {
        var key = service.Keys["writer"];
        var items = await ItemsAsync();
        var run = Guid.NewGuid().ToString("N")[..8];
        var flooded = $"flooded-{run}";
        object[] Batch(string prefix, string user, int count) =>
            [.. Enumerable.Range(0, count).Select(i => ServiceFixture.Event($"{run}-{prefix}-{i}", user, items[i % items.Count]))];

        // 15 of the user's 20, then 10 more for that user: refused whole (per user), though the credential has plenty.
        using (var first = await PostAsync(key, Batch("a", flooded, 15))) Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var second = await PostAsync(key, [.. Batch("b", flooded, 10), .. Batch("b2", $"other-{run}", 2)]))
        {
            var problem = await AccessControlTests.AssertProblemAsync(second, HttpStatusCode.TooManyRequests, "flooded user");
            Assert.True(second.Headers.RetryAfter?.Delta is { TotalSeconds: >= 1 });
            Assert.Equal("RateLimits:PerUserEventsPerSecond", problem.GetProperty("limit").GetString());
            Assert.Contains("No event of the batch was applied", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        // Another user's events from the same credential pass; the refused batch applied nothing, for either user.
        using (var other = await PostAsync(key, Batch("c", $"third-{run}", 5))) Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(0, await InteractionsAsync($"other-{run}"));
        Assert.Equal(15, await InteractionsAsync(flooded));
    }

    private async Task<int> InteractionsAsync(string userId)
    {
        using var response = await service.SendAsync(HttpMethod.Get, $"/v1/users/{userId}", service.Keys["reader"]);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recentInteractions").GetArrayLength();
    }

    private Task<HttpResponseMessage> PostAsync(string key, object[] batch) =>
        service.SendAsync(HttpMethod.Post, "/v1/events", key, content: JsonContent.Create(batch, options: ServiceFixture.Json));

    private async Task<List<string>> ItemsAsync()
    {
        using var response = await service.SendAsync(HttpMethod.Get, "/v1/users/item-source/feed?k=20", service.Keys["reader"]);
        var feed = await response.Content.ReadFromJsonAsync<JsonElement>();
        return [.. feed.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemId").GetString()!)];
    }
}
