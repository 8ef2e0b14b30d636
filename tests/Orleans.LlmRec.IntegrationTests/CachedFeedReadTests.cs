using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Silo.Apis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// The cached-read shortcut (<see cref="CachedFeedReads"/>): a plain read of a feed the silo keeps is answered before
/// the rest of the pipeline, with exactly the endpoint's answer; anything the endpoint refuses still gets its 400.
/// The endpoint's own answer to the same read is asked for with <c>?K=20</c> (the same parameter to the endpoint, not
/// a plain query to the shortcut).
/// </summary>
[Collection(ServiceOverRedis.Name)]
public sealed class CachedFeedReadTests(ServiceFixture service)
{
    private CachedFeedReads.Answered Answered => service.Silo.Services.GetRequiredService<CachedFeedReads.Answered>();

    [Fact]
    public async Task The_shortcut_answers_with_the_endpoints_body_headers_and_304()
    {
        var userId = await CachedUserAsync();

        var before = Answered.Count;
        var (shortcut, shortcutBody) = await GetAsync($"/v1/users/{userId}/feed?k=20");
        Assert.Equal(before + 1, Answered.Count);
        var (endpoint, endpointBody) = await GetAsync($"/v1/users/{userId}/feed?K=20");
        Assert.Equal(before + 1, Answered.Count);

        Assert.Equal(HttpStatusCode.OK, shortcut.StatusCode);
        Assert.Equal(endpoint.StatusCode, shortcut.StatusCode);
        Assert.Equal(endpointBody, shortcutBody);
        Assert.Equal(endpoint.Headers.ETag, shortcut.Headers.ETag);
        Assert.NotNull(shortcut.Headers.ETag);
        Assert.Equal("no-cache", shortcut.Headers.CacheControl?.ToString());
        Assert.Equal(endpoint.Headers.CacheControl, shortcut.Headers.CacheControl);
        Assert.Equal(endpoint.Content.Headers.ContentType, shortcut.Content.Headers.ContentType);
        Assert.Equal(endpoint.Content.Headers.ContentLength, shortcut.Content.Headers.ContentLength);
        Assert.Equal(HeaderNames(endpoint), HeaderNames(shortcut));

        // A client holding the tag gets a bodiless 304 either way, with the same headers.
        var (shortcut304, shortcut304Body) = await GetAsync($"/v1/users/{userId}/feed?k=20", shortcut.Headers.ETag!.Tag);
        Assert.Equal(before + 2, Answered.Count);
        var (endpoint304, _) = await GetAsync($"/v1/users/{userId}/feed?K=20", $"W/{shortcut.Headers.ETag!.Tag}");
        Assert.Equal(HttpStatusCode.NotModified, shortcut304.StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, endpoint304.StatusCode);
        Assert.Empty(shortcut304Body);
        Assert.Equal(shortcut.Headers.ETag, shortcut304.Headers.ETag);
        Assert.Equal(HeaderNames(endpoint304), HeaderNames(shortcut304));
        // Another tag: the whole feed again.
        var (stale, staleBody) = await GetAsync($"/v1/users/{userId}/feed?k=20", "\"0000000000000000\"");
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal(shortcutBody, staleBody);
    }

    [Theory]
    [InlineData("?k=0", "k")]
    [InlineData("?k=1001", "k")]
    [InlineData("?k=9999", "k")]
    public async Task A_k_the_endpoint_refuses_gets_its_400_even_for_a_cached_user(string query, string field)
    {
        var userId = await CachedUserAsync();
        var before = Answered.Count;

        using var response = await service.Client.GetAsync($"/v1/users/{userId}/feed{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(before, Answered.Count);
    }

    [Theory]
    [InlineData("%20victim%20")]
    [InlineData("victim%E2%80%8B")]
    [InlineData("cafe%CC%81")]
    public async Task A_bad_user_id_gets_the_endpoints_400_problem(string userId)
    {
        var before = Answered.Count;

        using var response = await service.Client.GetAsync($"/v1/users/{userId}/feed?k=20");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"userId\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(before, Answered.Count);
    }

    [Theory]
    [InlineData("?k=20&exclude=1")]
    [InlineData("?k=20&explain=true")]
    [InlineData("?k=020")]
    public async Task Other_queries_are_left_to_the_endpoint(string query)
    {
        var userId = await CachedUserAsync();
        var before = Answered.Count;

        using var response = await service.Client.GetAsync($"/v1/users/{userId}/feed{query}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(before, Answered.Count);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("9")]
    [InlineData("20")]
    [InlineData("100")]
    public void Only_a_plain_k_is_read_by_the_shortcut(string k)
    {
        Assert.Equal(int.Parse(k, System.Globalization.CultureInfo.InvariantCulture), CachedFeedReads.PlainK($"?k={k}", 20));
        Assert.Equal(20, CachedFeedReads.PlainK("", 20));
        Assert.Equal(20, CachedFeedReads.PlainK(null, 20));
        foreach (var query in new[] { "?k=", "?k=0", "?k=01", "?k=+1", "?k=1 ", "?K=1", "?k=1&k=2", "?k=12345", "?x=1", "?k=-1" })
        {
            Assert.Null(CachedFeedReads.PlainK(query, 20));
        }
    }

    /// <summary>A user with a personalised feed of 20 the silo keeps (read twice, so the second read was cached).</summary>
    private async Task<string> CachedUserAsync()
    {
        var userId = $"shortcut-{Guid.NewGuid():N}";
        await new ServiceClient(service.Client).PostEventsAsync(ServiceFixture.Event(Guid.NewGuid().ToString(), userId, service.World.PopularItems()[0], "like"));
        for (var read = 0; read < 2; read++)
        {
            using var response = await service.Client.GetAsync($"/v1/users/{userId}/feed?k=20");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        return userId;
    }

    private async Task<(HttpResponseMessage Response, byte[] Body)> GetAsync(string path, string? ifNoneMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (ifNoneMatch is not null) request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Parse(ifNoneMatch));
        var response = await service.Client.SendAsync(request);
        return (response, await response.Content.ReadAsByteArrayAsync());
    }

    private static string[] HeaderNames(HttpResponseMessage response) =>
        [.. response.Headers.Concat(response.Content.Headers).Select(h => h.Key).Where(name => name != "Date").Order(StringComparer.Ordinal)];
}
