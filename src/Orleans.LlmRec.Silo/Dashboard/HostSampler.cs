using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>
/// Once a second, turns this host's <see cref="DashboardMetrics"/> totals into a <see cref="HostSample"/> (rates over
/// the second that passed, percentiles of its measurements, gauges) and keeps the last <see cref="HistoryLength"/> of
/// them, so a dashboard opened now shows the last five minutes at once.
/// </summary>
public sealed class HostSampler(
    DashboardMetrics metrics, DashboardWatch watch, TimeProvider time, IServiceProvider services, StreamLagProbe lag) : BackgroundService
{
    public const int HistoryLength = 300;

    private readonly Queue<HostSample> _history = new();
    private readonly SiloModel? _serving = services.GetService<SiloModel>();
    private readonly BusiestUsers? _busiest = services.GetService<BusiestUsers>();
    private long[] _totals = [];
    private long[] _feedLatency = [];
    private long[] _llmLatency = [];
    private long[][] _feedLatencyBySource = [];
    private long[] _clickToFeed = [];
    private long[] _scorerLatency = [];
    private ScorerStatistics _scorer;
    private long _lastTimestamp;

    public string ModelVersion => _serving?.Current.Version ?? "";

    public string ScorerProvider => (_serving?.Scorer as OnnxScorer)?.ExecutionProvider ?? "";

    /// <summary>The samples taken after <paramref name="after"/> (all of them for <see cref="DateTimeOffset.MinValue"/>), oldest first.</summary>
    public IReadOnlyList<HostSample> SamplesAfter(DateTimeOffset after)
    {
        lock (_history) return _history.Where(s => s.At > after).ToList();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Baseline();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var sample = Take();
            lock (_history)
            {
                _history.Enqueue(sample);
                while (_history.Count > HistoryLength) _history.Dequeue();
            }
        }
    }

    private void Baseline()
    {
        _totals = ReadTotals();
        _feedLatency = metrics.FeedLatency.Snapshot();
        _llmLatency = metrics.LlmLatency.Snapshot();
        _feedLatencyBySource = [.. metrics.FeedLatencyBySource.Select(h => h.Snapshot())];
        _clickToFeed = metrics.ClickToFeed.Snapshot();
        _scorerLatency = metrics.ScorerLatency.Snapshot();
        _scorer = ScorerStatistics();
        _lastTimestamp = time.GetTimestamp();
    }

    private HostSample Take()
    {
        var previousTotals = _totals;
        var previousFeed = _feedLatency;
        var previousLlm = _llmLatency;
        var previousScorer = _scorer;
        var previousBySource = _feedLatencyBySource;
        var previousClickToFeed = _clickToFeed;
        var previousScorerLatency = _scorerLatency;
        var elapsed = time.GetElapsedTime(_lastTimestamp).TotalSeconds;
        Baseline();
        metrics.ObserveGauges();

        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var counted in Enum.GetValues<Counted>())
        {
            values[RateKey(counted)] = (_totals[(int)counted] - previousTotals[(int)counted]) / elapsed;
        }
        Percentiles(values, "feeds", previousFeed, _feedLatency);
        Percentiles(values, "llm", previousLlm, _llmLatency);
        for (var i = 0; i < DashboardMetrics.FeedSources.Length; i++)
        {
            Percentiles(values, "feeds." + DashboardMetrics.FeedSources[i], previousBySource[i], _feedLatencyBySource[i]);
        }
        Percentiles(values, "freshness", previousClickToFeed, _clickToFeed);
        Percentiles(values, "scorer", previousScorerLatency, _scorerLatency);
        values["llm.queueDepth"] = metrics.Gauge(Gauged.LlmQueueDepth);
        values["llm.circuit"] = metrics.Gauge(Gauged.LlmCircuitState);
        if (_serving is not null)
        {
            var batches = _scorer.Batches - previousScorer.Batches;
            var requests = _scorer.Requests - previousScorer.Requests;
            values["scorer.batches"] = batches / elapsed;
            values["scorer.requests"] = requests / elapsed;
            values["scorer.meanBatch"] = batches == 0 ? 0 : (double)requests / batches;
            values["scorer.largestBatch"] = _scorer.LargestBatch;
        }
        var watched = watch.IsWatched;
        if (lag.Latest is { } streamLag)
        {
            values["stream.pending"] = streamLag.Pending;
            values["stream.oldestAgeSeconds"] = streamLag.OldestAge.TotalSeconds;
        }
        return new HostSample
        {
            At = time.GetUtcNow(),
            Values = values,
            Busiest = watched && _busiest is not null ? _busiest.TakeTop(5) : [],
        };
    }

    private long[] ReadTotals() => Enum.GetValues<Counted>().Select(metrics.Total).ToArray();

    private ScorerStatistics ScorerStatistics() => (_serving?.Scorer as OnnxScorer)?.Statistics ?? default;

    private static void Percentiles(Dictionary<string, double> values, string prefix, long[] before, long[] after)
    {
        var p50 = LatencyHistogram.Quantile(before, after, 0.50);
        if (double.IsNaN(p50)) return;
        values[prefix + ".p50Ms"] = p50;
        values[prefix + ".p99Ms"] = LatencyHistogram.Quantile(before, after, 0.99);
    }

    /// <summary><c>FeedsNotModified</c> → <c>feedsNotModified</c>: the page's key for the per-second rate.</summary>
    public static string RateKey(Counted counted)
    {
        var name = counted.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }
}
