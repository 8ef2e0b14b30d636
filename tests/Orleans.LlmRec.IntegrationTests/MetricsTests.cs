using System.Text.RegularExpressions;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.IntegrationTests.Llm;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary><c>GET /metrics</c>: Prometheus' text format, with the service's own counters and ASP.NET Core's latency.</summary>
[Collection(ServiceOverRedis.Name)]
public partial class MetricsTests(ServiceFixture service)
{
    [Fact]
    public async Task Feeds_and_events_are_counted_and_scraped_in_the_Prometheus_format()
    {
        var before = await ScrapeAsync();
        var userId = $"metrics-{Guid.NewGuid():N}";
        var items = service.World.PopularItems();
        await service.PostEventsAsync(ServiceFixture.Event("m1", userId, items[0]), ServiceFixture.Event("m2", userId, items[1]));
        await service.PostEventsAsync(ServiceFixture.Event("m1", userId, items[0]));
        await service.GetFeedAsync(userId, "k=5");
        await service.GetFeedAsync($"cold-{userId}", "k=5");

        var after = await ScrapeAsync();
        Assert.True(Value(after, "llmrec_events_ingested_total", "outcome=\"applied\"") - Value(before, "llmrec_events_ingested_total", "outcome=\"applied\"") >= 2);
        Assert.True(Value(after, "llmrec_events_ingested_total", "outcome=\"duplicate\"") - Value(before, "llmrec_events_ingested_total", "outcome=\"duplicate\"") >= 1);
        Assert.True(Value(after, "llmrec_feeds_served_total", "source=\"model\"") - Value(before, "llmrec_feeds_served_total", "source=\"model\"") >= 1);
        Assert.True(Value(after, "llmrec_feeds_served_total", "source=\"fallback\"") - Value(before, "llmrec_feeds_served_total", "source=\"fallback\"") >= 1);
        Assert.Contains("http_server_request_duration_seconds_bucket", after, StringComparison.Ordinal);
        Assert.Contains("http_route=\"/v1/users/{userId}/feed\"", after, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Click_to_feed_freshness_feed_latency_by_source_and_scorer_latency_are_scraped()
    {
        var before = await ScrapeAsync();
        var userId = $"fresh-{Guid.NewGuid():N}";
        var items = service.World.PopularItems();
        await service.PostEventsAsync(ServiceFixture.Event("f1", userId, items[0]));
        await service.GetFeedAsync(userId, "k=5");
        // A second read of the unchanged feed is answered from the cache: no second freshness measurement.
        await service.GetFeedAsync(userId, "k=5");
        await service.GetFeedAsync($"cold-{userId}", "k=5");

        var after = await ScrapeAsync();
        Assert.True(Total(after, "llmrec_click_to_feed_seconds_count", "") - Total(before, "llmrec_click_to_feed_seconds_count", "") >= 1,
            "no click-to-feed measurement after an event and a feed");
        Assert.Contains("llmrec_click_to_feed_seconds_bucket", after, StringComparison.Ordinal);
        Assert.True(Total(after, "http_server_request_duration_seconds_count", "llmrec_feed_source=\"model\"")
            - Total(before, "http_server_request_duration_seconds_count", "llmrec_feed_source=\"model\"") >= 2);
        Assert.True(Total(after, "http_server_request_duration_seconds_count", "llmrec_feed_source=\"fallback\"")
            - Total(before, "http_server_request_duration_seconds_count", "llmrec_feed_source=\"fallback\"") >= 1);
        Assert.True(Total(after, "llmrec_scorer_batch_duration_seconds_count", "provider=\"CPU\"")
            - Total(before, "llmrec_scorer_batch_duration_seconds_count", "provider=\"CPU\"") >= 1);
        Assert.True(Total(after, "llmrec_scorer_batch_size_sum", "provider=\"CPU\"") >= 1);
    }

    /// <summary>
    /// Another host in the same process (the in-process silos of other test classes) that counted events and stopped
    /// must not freeze this silo's counters: OpenTelemetry would merge both hosts' same-named instruments into one
    /// stream and retire it when the other host's meter is disposed (this failed when <c>ObservabilityConfigTests</c>,
    /// with its own silo, ran just before these tests).
    /// </summary>
    [Fact]
    public async Task A_second_host_in_the_process_that_stops_does_not_freeze_this_silos_counters()
    {
        await using (var other = await LlmSilo.StartAsync(service.World, new Dictionary<string, string>()))
        {
            var otherUser = $"other-host-{Guid.NewGuid():N}";
            await other.Api.PostEventsAsync(ServiceFixture.Event($"{otherUser}-1", otherUser, service.World.PopularItems()[0]));
            await other.Api.GetFeedAsync(otherUser, "k=5");
        }

        var before = await ScrapeAsync();
        var userId = $"after-other-{Guid.NewGuid():N}";
        await service.PostEventsAsync(ServiceFixture.Event($"{userId}-1", userId, service.World.PopularItems()[0]));
        await service.GetFeedAsync(userId, "k=5");
        var after = await ScrapeAsync();
        Assert.True(Value(after, "llmrec_events_ingested_total", "outcome=\"applied\"") - Value(before, "llmrec_events_ingested_total", "outcome=\"applied\"") >= 1,
            "this silo's applied-events counter did not move after another in-process host stopped");
        Assert.True(Total(after, "http_server_request_duration_seconds_count", "http_route=\"/v1/users/{userId}/feed\"")
            - Total(before, "http_server_request_duration_seconds_count", "http_route=\"/v1/users/{userId}/feed\"") >= 1,
            "this silo's request-duration histogram did not move after another in-process host stopped");
    }

    /// <summary>The sum of a metric's samples (with or without labels) whose labels include <paramref name="label"/>.</summary>
    private static double Total(string scrape, string metric, string label) =>
        AnySample().Matches(scrape)
            .Where(m => m.Groups["name"].Value == metric && m.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))
            .Sum(m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));

    // Label values are quoted and may hold braces (http_route="/v1/users/{userId}/feed").
    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>(?:[^""}]|""[^""]*"")*)\})? (?<value>[-+0-9.eE]+|NaN|\+Inf)", RegexOptions.Multiline)]
    private static partial Regex AnySample();

    private async Task<string> ScrapeAsync()
    {
        using var response = await service.Client.GetAsync("/metrics");
        response.EnsureSuccessStatusCode();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The sum of a metric's samples whose labels include <paramref name="label"/> (0 when there are none yet).</summary>
    private static double Value(string scrape, string metric, string label) =>
        Sample().Matches(scrape)
            .Where(m => m.Groups["name"].Value == metric && m.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))
            .Sum(m => double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>[^}]*)\} (?<value>[-+0-9.eE]+|NaN|\+Inf)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
