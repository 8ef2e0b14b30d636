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
