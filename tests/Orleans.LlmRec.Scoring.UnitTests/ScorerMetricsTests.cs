using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Orleans.LlmRec.Scoring.UnitTests;

/// <summary>The scorer's instruments: every batch records its duration and size, tagged with the execution provider.</summary>
public sealed class ScorerMetricsTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task EachBatchRecordsItsDurationAndSizeTaggedWithTheProvider()
    {
        var sizes = new ConcurrentBag<(int Size, string? Provider)>();
        var durations = new ConcurrentBag<(double Seconds, string? Provider)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ScorerMetrics.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "llmrec.scorer.batch.size") sizes.Add((value, Provider(tags)));
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "llmrec.scorer.batch.duration") durations.Add((value, Provider(tags)));
        });
        listener.Start();

        var model = TestModels.Random(users: 8, items: 60, dimension: 4, seed: 9);
        await using var scorer = OnnxScorer.Load(TestModels.Export(model, _folder.Path));
        var requests = Enumerable.Range(0, model.UserCount).Select(u => new ScoringRequest(model.UserVector(u).ToArray(), model.UserBias[u], k: 5)).ToList();
        await scorer.ScoreBatchAsync(requests);
        var statistics = scorer.Statistics;

        // Other tests' scorers may record on the same (process-wide) meter at the same time: at least ours are there.
        Assert.Equal("CPUExecutionProvider", scorer.ExecutionProvider);
        Assert.True(sizes.Count(s => s.Provider == "CPU") >= statistics.Batches, $"{sizes.Count} sizes for {statistics.Batches} batches");
        Assert.True(sizes.Where(s => s.Provider == "CPU").Sum(s => s.Size) >= model.UserCount);
        Assert.True(durations.Count(d => d.Provider == "CPU" && d.Seconds > 0) >= statistics.Batches);
        Assert.DoesNotContain(sizes, s => s.Provider is null);
    }

    [Theory]
    [InlineData("CPUExecutionProvider", "CPU")]
    [InlineData("CUDAExecutionProvider", "CUDA")]
    [InlineData("Other", "Other")]
    public void TheProviderTagDropsTheSuffix(string provider, string tag) => Assert.Equal(tag, ScorerMetrics.ProviderTag(provider));

    private static string? Provider(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "provider") return tag.Value as string;
        }
        return null;
    }
}
