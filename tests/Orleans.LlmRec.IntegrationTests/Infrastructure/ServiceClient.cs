using System.Net.Http.Json;
using System.Text.Json;
using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.IntegrationTests.Infrastructure;

/// <summary>The service's HTTP API as the tests call it; failures carry the response body.</summary>
public sealed class ServiceClient(HttpClient client)
{
    private static JsonSerializerOptions Json => ServiceFixture.Json;

    public async Task<IngestResponse> PostEventsAsync(params object[] events)
    {
        using var response = await client.PostAsJsonAsync("/v1/events", events, Json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST /v1/events: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<IngestResponse>(body, Json)!;
    }

    public async Task<Feed> GetFeedAsync(string userId, string query = "k=20")
    {
        using var response = await client.GetAsync($"/v1/users/{Uri.EscapeDataString(userId)}/feed?{query}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET feed: {(int)response.StatusCode} {body}");
        return JsonSerializer.Deserialize<Feed>(body, Json)!;
    }

    public async Task<UserView> GetUserAsync(string userId) =>
        (await client.GetFromJsonAsync<UserView>($"/v1/users/{Uri.EscapeDataString(userId)}", Json))!;

    public async Task<SimilarItemsResponse> GetSimilarAsync(string itemId, int k) =>
        (await client.GetFromJsonAsync<SimilarItemsResponse>($"/v1/items/{Uri.EscapeDataString(itemId)}/similar?k={k}", Json))!;

    /// <summary><c>POST /v1/admin/model/reload{query}</c>, asserting the status; the body (answer or problem) as JSON.</summary>
    public async Task<JsonElement> ReloadModelAsync(System.Net.HttpStatusCode expected, string query = "")
    {
        using var response = await client.PostAsync("/v1/admin/model/reload" + query, content: null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"reload: expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
