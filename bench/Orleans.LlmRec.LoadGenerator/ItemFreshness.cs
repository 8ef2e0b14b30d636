using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Orleans.LlmRec.LoadGenerator;

/// <summary>
/// Item freshness (issue 12): publish an item that matches a user (the tags of the top item of their feed), then read
/// their feed until it holds the item; the time from the start of <c>PUT /v1/items/{id}</c> to the read that shows it.
/// Each item is retired afterwards, so the fresh pool (and the exploration slot) stays one item per worker.
/// </summary>
internal static class ItemFreshness
{
    public static async Task<(Measurement Freshness, Measurement Put)> RunAsync(LoadSettings s)
    {
        using var client = Scenarios.Client(s.Target, s.Concurrency);
        var puts = new LatencyLog(s.Concurrency);
        var run = Guid.NewGuid().ToString("N")[..8];
        var counters = new long[s.Concurrency];
        var missed = 0L;
        var refused = 0L;
        var warmupEnds = Stopwatch.GetTimestamp() + (long)(s.Warmup.TotalSeconds * Stopwatch.Frequency);
        var freshness = await ClosedLoop.RunAsync("item freshness (PUT /v1/items → in the user's feed)", s.Concurrency, s.Warmup, s.Window, async (w, random, ct) =>
        {
            var userId = Scenarios.UserId(random.Next(s.Users));
            var top = Scenarios.FirstItem(await client.GetStringAsync(Scenarios.FeedPath(userId, s.K), ct));
            using var topItem = JsonDocument.Parse(await client.GetStringAsync($"/v1/items/{Uri.EscapeDataString(top)}", ct));
            // Genres come first; popular films carry more user tags than an item may have (50).
            var tags = topItem.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).Take(10).ToArray();
            var itemId = $"fresh-item-{run}-{w}-{counters[w]++}";
            var body = JsonSerializer.Serialize(new { title = $"Fresh item {itemId}", text = "published by llmrec-load items", tags, publishedAt = DateTimeOffset.UtcNow });
            var started = Stopwatch.GetTimestamp();
            using (var put = await client.PutAsync($"/v1/items/{itemId}", new StringContent(body, Encoding.UTF8, "application/json"), ct))
            {
                if (!put.IsSuccessStatusCode)
                {
                    if (Interlocked.Increment(ref refused) == 1) Console.WriteLine($"items: PUT refused: {(int)put.StatusCode} {await put.Content.ReadAsStringAsync(ct)}");
                    return null;
                }
            }
            var measuring = started >= warmupEnds;
            if (measuring) puts.Add(w, ClosedLoop.Milliseconds(started));
            double? seen = null;
            for (var attempt = 0; attempt < 200 && seen is null; attempt++)
            {
                var json = await client.GetStringAsync(Scenarios.FeedPath(userId, s.K), ct);
                if (Scenarios.ContainsItem(json, itemId)) seen = ClosedLoop.Milliseconds(started);
            }
            if (seen is null) Interlocked.Increment(ref missed);
            using (await client.DeleteAsync($"/v1/items/{itemId}", ct))
            {
            }
            return seen;
        });
        if (missed > 0) Console.WriteLine($"items: {missed:N0} item(s) never reached the user's feed within 200 reads (errors)");
        return (freshness, puts.ToMeasurement("PUT /v1/items", s.Window));
    }
}
