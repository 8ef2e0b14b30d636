using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Silo.Dashboard;
using Orleans.LlmRec.Silo.Metrics;

namespace Orleans.LlmRec.IntegrationTests.Dashboard;

/// <summary>The dashboard's aggregation on its own: totals from the service's meters, and percentiles from the bucket counts.</summary>
public sealed class DashboardMetricsTests
{
    [Fact]
    public void Feeds_served_are_counted_by_source_and_degraded()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var dashboard = new DashboardMetrics();
        var before = Enum.GetValues<Counted>().ToDictionary(c => c, dashboard.Total);
        var metrics = new ServiceMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());

        for (var i = 0; i < 3; i++) metrics.FeedServed(Feed(FeedSource.Model, degraded: false));
        metrics.FeedServed(Feed(FeedSource.Fallback, degraded: true));
        metrics.BatchIngested(new IngestResponse { Accepted = 5, Duplicates = 2, Users = 1 });

        long Delta(Counted c) => dashboard.Total(c) - before[c];
        Assert.Equal(3, Delta(Counted.FeedsModel));
        Assert.Equal(1, Delta(Counted.FeedsFallback));
        Assert.Equal(0, Delta(Counted.FeedsReranked));
        Assert.Equal(1, Delta(Counted.FeedsDegraded));
        Assert.Equal(5, Delta(Counted.EventsApplied));
        Assert.Equal(2, Delta(Counted.EventsDuplicate));
    }

    [Fact]
    public void Feed_latency_is_split_by_the_source_tag_and_freshness_and_scorer_latency_are_kept()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var dashboard = new DashboardMetrics();
        var fallbackBefore = dashboard.FeedLatencyBySource[2].Snapshot();
        var freshnessBefore = dashboard.ClickToFeed.Snapshot();
        // ASP.NET Core's instrument, as the hosting layer records it for a feed request that served a fallback feed.
        using var hosting = new System.Diagnostics.Metrics.Meter("Microsoft.AspNetCore.Hosting");
        var requests = hosting.CreateHistogram<double>("http.server.request.duration");
        requests.Record(0.004,
            new KeyValuePair<string, object?>("http.route", DashboardMetrics.FeedRoute),
            new KeyValuePair<string, object?>("http.response.status_code", 200),
            new KeyValuePair<string, object?>(ServiceMetrics.FeedSourceTag, "fallback"));
        new Grains.Metrics.FeedFreshnessMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()).Record(TimeSpan.FromMilliseconds(250));

        var fallback = LatencyHistogram.Quantile(fallbackBefore, dashboard.FeedLatencyBySource[2].Snapshot(), 0.5);
        Assert.InRange(fallback, 4, 4 * 1.09);
        var freshness = LatencyHistogram.Quantile(freshnessBefore, dashboard.ClickToFeed.Snapshot(), 0.99);
        Assert.InRange(freshness, 250, 250 * 1.09);
    }

    [Fact]
    public void Percentiles_come_from_the_measurements_between_two_snapshots_within_a_bucket()
    {
        var histogram = new LatencyHistogram();
        histogram.RecordMilliseconds(5_000);
        var before = histogram.Snapshot();
        for (var ms = 1; ms <= 100; ms++) histogram.RecordMilliseconds(ms);
        var after = histogram.Snapshot();

        var p50 = LatencyHistogram.Quantile(before, after, 0.50);
        var p99 = LatencyHistogram.Quantile(before, after, 0.99);
        Assert.InRange(p50, 50, 50 * 1.09);
        Assert.InRange(p99, 99, 99 * 1.09);
        Assert.True(double.IsNaN(LatencyHistogram.Quantile(after, after, 0.5)));
    }

    private static Feed Feed(FeedSource source, bool degraded) => new() { UserId = "u", Items = [], Source = source, Degraded = degraded };
}
