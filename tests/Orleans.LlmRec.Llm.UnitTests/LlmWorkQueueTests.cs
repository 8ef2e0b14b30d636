using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using Orleans.LlmRec.Llm.Profiles;
using Orleans.LlmRec.Llm.Queue;
using Orleans.LlmRec.Llm.Reranking;

namespace Orleans.LlmRec.Llm.UnitTests;

public sealed class LlmWorkQueueTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly RecordingReranker _reranker = new();
    private readonly LlmMetrics _metrics = new();
    private readonly List<LlmWorkQueue> _queues = [];

    private LlmWorkQueue CreateQueue(int capacity = 100, int concurrency = 1, int tokensPerMinute = 0, TimeProvider? time = null)
    {
        var queue = new LlmWorkQueue(new PreferencesProfileWriter(new LlmOptions()), _reranker,
            new LlmOptions { QueueCapacity = capacity, MaxConcurrency = concurrency, TokensPerMinute = tokensPerMinute },
            _metrics, timeProvider: time);
        _queues.Add(queue);
        return queue;
    }

    private static RerankJob Job(string userId, string version, LlmJobPriority priority, ConcurrentQueue<(string User, string Version, LlmResultStatus Status)> results) =>
        new(new RerankRequest(userId, new RerankUserContext(version, null, []), []), priority, (result, _) =>
        {
            results.Enqueue((userId, version, result.Status));
            return Task.CompletedTask;
        });

    /// <summary>Occupies the single worker until released, so that the jobs queued meanwhile can be inspected.</summary>
    private async Task<TaskCompletionSource> BlockWorkerAsync(LlmWorkQueue queue, ConcurrentQueue<(string, string, LlmResultStatus)> results)
    {
        var release = _reranker.Block("gate");
        queue.Enqueue(Job("gate", "v1", LlmJobPriority.ActiveUser, results));
        await _reranker.WaitStartedAsync("gate").WaitAsync(Patience);
        return release;
    }

    [Fact]
    public async Task A_newer_job_for_the_same_user_replaces_the_waiting_one()
    {
        var queue = CreateQueue();
        var results = new ConcurrentQueue<(string User, string Version, LlmResultStatus Status)>();
        var release = await BlockWorkerAsync(queue, results);

        Assert.Equal(LlmEnqueueResult.Queued, queue.Enqueue(Job("u1", "old", LlmJobPriority.Background, results)));
        Assert.Equal(LlmEnqueueResult.Queued, queue.Enqueue(Job("u2", "only", LlmJobPriority.Background, results)));
        Assert.Equal(LlmEnqueueResult.Replaced, queue.Enqueue(Job("u1", "new", LlmJobPriority.Background, results)));
        Assert.Equal(2, queue.Count);

        release.SetResult();
        await queue.WhenIdleAsync().WaitAsync(Patience);

        // u1 kept its place in line ahead of u2, with the newer data; the replaced job never ran nor called back.
        Assert.Equal(["gate", "u1", "u2"], _reranker.Started.Select(s => s.User));
        Assert.Equal("new", _reranker.Started.Single(s => s.User == "u1").Version);
        Assert.DoesNotContain(results, r => r.Version == "old");
        Assert.Equal(3, results.Count);
    }

    [Fact]
    public async Task Active_users_run_before_background_work()
    {
        var queue = CreateQueue();
        var results = new ConcurrentQueue<(string User, string Version, LlmResultStatus Status)>();
        var release = await BlockWorkerAsync(queue, results);

        queue.Enqueue(Job("b1", "v", LlmJobPriority.Background, results));
        queue.Enqueue(Job("b2", "v", LlmJobPriority.Background, results));
        queue.Enqueue(Job("a1", "v", LlmJobPriority.ActiveUser, results));
        queue.Enqueue(Job("a2", "v", LlmJobPriority.ActiveUser, results));
        release.SetResult();
        await queue.WhenIdleAsync().WaitAsync(Patience);

        Assert.Equal(["gate", "a1", "a2", "b1", "b2"], _reranker.Started.Select(s => s.User));
    }

    [Fact]
    public async Task A_replacement_with_higher_priority_moves_the_job_to_the_active_group()
    {
        var queue = CreateQueue();
        var results = new ConcurrentQueue<(string User, string Version, LlmResultStatus Status)>();
        var release = await BlockWorkerAsync(queue, results);

        queue.Enqueue(Job("a1", "v", LlmJobPriority.ActiveUser, results));
        queue.Enqueue(Job("b1", "v", LlmJobPriority.Background, results));
        queue.Enqueue(Job("u1", "v1", LlmJobPriority.Background, results));
        Assert.Equal(LlmEnqueueResult.Replaced, queue.Enqueue(Job("u1", "v2", LlmJobPriority.ActiveUser, results)));
        release.SetResult();
        await queue.WhenIdleAsync().WaitAsync(Patience);

        Assert.Equal(["gate", "a1", "u1", "b1"], _reranker.Started.Select(s => s.User));
    }

    [Fact]
    public async Task When_full_the_oldest_background_job_is_shed_and_told_so()
    {
        var queue = CreateQueue(capacity: 2);
        var results = new ConcurrentQueue<(string User, string Version, LlmResultStatus Status)>();
        var release = await BlockWorkerAsync(queue, results);

        queue.Enqueue(Job("b1", "v", LlmJobPriority.Background, results));
        queue.Enqueue(Job("a1", "v", LlmJobPriority.ActiveUser, results));
        Assert.Equal(LlmEnqueueResult.QueuedAfterShedding, queue.Enqueue(Job("b2", "v", LlmJobPriority.Background, results)));
        Assert.Equal(2, queue.Count);
        // Only active jobs and b2 left: a new background job is the one shed; a new active job sheds b2.
        Assert.Equal(LlmEnqueueResult.QueuedAfterShedding, queue.Enqueue(Job("a2", "v", LlmJobPriority.ActiveUser, results)));
        Assert.Equal(LlmEnqueueResult.Shed, queue.Enqueue(Job("b3", "v", LlmJobPriority.Background, results)));
        Assert.Equal(2, queue.Count);

        release.SetResult();
        await queue.WhenIdleAsync().WaitAsync(Patience);
        await WaitUntilAsync(() => results.Count == 6);

        Assert.Equal(["gate", "a1", "a2"], _reranker.Started.Select(s => s.User));
        Assert.Equal(["b1", "b2", "b3"], results.Where(r => r.Status == LlmResultStatus.Shed).Select(r => r.User).Order());
    }

    [Fact]
    public async Task When_full_of_active_jobs_the_oldest_one_is_shed_for_a_new_active_one()
    {
        var queue = CreateQueue(capacity: 2);
        var results = new ConcurrentQueue<(string User, string Version, LlmResultStatus Status)>();
        var release = await BlockWorkerAsync(queue, results);

        queue.Enqueue(Job("a1", "v", LlmJobPriority.ActiveUser, results));
        queue.Enqueue(Job("a2", "v", LlmJobPriority.ActiveUser, results));
        Assert.Equal(LlmEnqueueResult.QueuedAfterShedding, queue.Enqueue(Job("a3", "v", LlmJobPriority.ActiveUser, results)));
        release.SetResult();
        await queue.WhenIdleAsync().WaitAsync(Patience);

        Assert.Equal(["gate", "a2", "a3"], _reranker.Started.Select(s => s.User));
    }

    [Fact]
    public async Task Never_grows_past_its_capacity_and_counts_what_it_sheds()
    {
        var queue = CreateQueue(capacity: 5);
        var results = new ConcurrentQueue<(string User, string Version, LlmResultStatus Status)>();
        using var listener = new MetricCollector(_metrics.Meter);
        var release = await BlockWorkerAsync(queue, results);

        var maxDepth = 0;
        for (var i = 0; i < 100; i++)
        {
            queue.Enqueue(Job($"u{i}", "v", i % 3 == 0 ? LlmJobPriority.ActiveUser : LlmJobPriority.Background, results));
            maxDepth = Math.Max(maxDepth, queue.Count);
        }
        listener.RecordObservableInstruments();

        Assert.Equal(5, maxDepth);
        Assert.Equal(95, listener.Sum("llmrec.llm.queue.shed"));
        Assert.Equal(5, listener.Last("llmrec.llm.queue.depth"));
        release.SetResult();
        await queue.WhenIdleAsync().WaitAsync(Patience);
    }

    [Fact]
    public async Task Runs_at_most_the_configured_number_of_jobs_at_once()
    {
        var queue = CreateQueue(concurrency: 3);
        var results = new ConcurrentQueue<(string User, string Version, LlmResultStatus Status)>();
        _reranker.Delay = TimeSpan.FromMilliseconds(20);

        for (var i = 0; i < 12; i++)
        {
            queue.Enqueue(Job($"u{i}", "v", LlmJobPriority.Background, results));
        }
        await queue.WhenIdleAsync().WaitAsync(Patience);

        Assert.Equal(12, results.Count);
        Assert.InRange(_reranker.MaxConcurrent, 1, 3);
    }

    [Fact]
    public async Task Waits_for_the_token_budget_before_starting_a_job()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var queue = CreateQueue(tokensPerMinute: 100, time: time);
        var results = new ConcurrentQueue<(string User, string Version, LlmResultStatus Status)>();
        _reranker.EstimatedTokens = 80;
        _reranker.SpentTokens = 80;

        queue.Enqueue(Job("u1", "v", LlmJobPriority.Background, results));
        queue.Enqueue(Job("u2", "v", LlmJobPriority.Background, results));
        await WaitUntilAsync(() => results.Count == 1);

        // 20 tokens left and the clock stands still: u2 waits in the queue.
        Assert.Equal(1, queue.Count);
        Assert.Equal(["u1"], _reranker.Started.Select(s => s.User));

        // 60 tokens refill in 36 s; advance in steps so the dispatcher's timer is sure to be set before it fires.
        await WaitUntilAsync(() =>
        {
            time.Advance(TimeSpan.FromSeconds(12));
            return results.Count == 2;
        });
        Assert.Equal(["u1", "u2"], _reranker.Started.Select(s => s.User));
    }

    [Fact]
    public async Task A_throwing_callback_does_not_stop_the_queue()
    {
        var queue = CreateQueue();
        var delivered = new ConcurrentQueue<string>();
        queue.Enqueue(new RerankJob(new RerankRequest("u1", RerankUserContext.Empty, []), LlmJobPriority.ActiveUser,
            (_, _) => throw new InvalidOperationException("grain deactivated")));
        queue.Enqueue(new RerankJob(new RerankRequest("u2", RerankUserContext.Empty, []), LlmJobPriority.ActiveUser, (_, _) =>
        {
            delivered.Enqueue("u2");
            return Task.CompletedTask;
        }));

        await queue.WhenIdleAsync().WaitAsync(Patience);

        Assert.Equal(["u2"], delivered);
    }

    [Fact]
    public async Task Profile_jobs_and_rerank_jobs_of_one_user_are_separate()
    {
        var queue = CreateQueue();
        var results = new ConcurrentQueue<(string User, string Version, LlmResultStatus Status)>();
        var profiles = new ConcurrentQueue<ProfileResult>();
        var release = await BlockWorkerAsync(queue, results);

        queue.Enqueue(Job("u1", "v", LlmJobPriority.Background, results));
        var outcome = queue.Enqueue(new ProfileJob(new ProfileRequest("u1", [], [], "I like noir."), LlmJobPriority.Background, (result, _) =>
        {
            profiles.Enqueue(result);
            return Task.CompletedTask;
        }));
        Assert.Equal(LlmEnqueueResult.Queued, outcome);
        Assert.Equal(2, queue.Count);

        release.SetResult();
        await queue.WhenIdleAsync().WaitAsync(Patience);

        Assert.Equal("I like noir.", Assert.Single(profiles).Text);
    }

    [Fact]
    public async Task After_disposal_jobs_are_refused()
    {
        var queue = CreateQueue();
        await queue.DisposeAsync();

        Assert.Equal(LlmEnqueueResult.Stopped, queue.Enqueue(Job("u1", "v", LlmJobPriority.ActiveUser, new())));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var queue in _queues)
        {
            await queue.DisposeAsync();
        }
        _metrics.Dispose();
    }

    [Fact]
    public async Task A_job_that_throws_is_still_reported_to_its_caller_as_failed()
    {
        var queue = CreateQueue();
        var results = new ConcurrentQueue<(string User, string Version, LlmResultStatus Status)>();
        var release = _reranker.Block("u1");
        queue.Enqueue(Job("u1", "v1", LlmJobPriority.ActiveUser, results));
        await _reranker.WaitStartedAsync("u1").WaitAsync(Patience);

        release.SetException(new InvalidOperationException("a bug in a re-ranker"));
        await queue.WhenIdleAsync().WaitAsync(Patience);

        // The grain waiting for this answer hears "failed" at once instead of waiting out its patience.
        Assert.Equal(("u1", "v1", LlmResultStatus.Failed), Assert.Single(results));
    }

    /// <summary>A re-ranker that records the order jobs start in and can hold one user's job until released.</summary>
    private sealed class RecordingReranker : IReranker
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _blocks = new();
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _started = new();
        private int _running;
        private int _maxConcurrent;

        public ConcurrentQueue<(string User, string? Version)> Started { get; } = new();

        public TimeSpan Delay { get; set; }

        public int EstimatedTokens { get; set; }

        public int SpentTokens { get; set; }

        public int MaxConcurrent => Volatile.Read(ref _maxConcurrent);

        public RerankSource Source => RerankSource.Llm;

        public TaskCompletionSource Block(string userId)
        {
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _blocks[userId] = release;
            return release;
        }

        public Task WaitStartedAsync(string userId) =>
            _started.GetOrAdd(userId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

        public int EstimateTokens(RerankRequest request) => EstimatedTokens;

        public async Task<RerankResult> RerankAsync(RerankRequest request, CancellationToken cancellationToken = default)
        {
            var running = Interlocked.Increment(ref _running);
            int seen;
            while ((seen = Volatile.Read(ref _maxConcurrent)) < running && Interlocked.CompareExchange(ref _maxConcurrent, running, seen) != seen)
            {
            }
            Started.Enqueue((request.UserId, request.User.Profile));
            _started.GetOrAdd(request.UserId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            try
            {
                if (_blocks.TryGetValue(request.UserId, out var block))
                {
                    await block.Task.WaitAsync(cancellationToken);
                }
                if (Delay > TimeSpan.Zero)
                {
                    await Task.Delay(Delay, cancellationToken);
                }
                return new RerankResult(LlmResultStatus.Succeeded, new Dictionary<string, float>(), RerankSource.Llm,
                    new LlmUsage(SpentTokens, 0, false), default);
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }
    }
}

/// <summary>Collects the measurements of one meter instance (other tests' meters are ignored).</summary>
internal sealed class MetricCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = new();

    public MetricCollector(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        _listener.Start();
    }

    public void RecordObservableInstruments() => _listener.RecordObservableInstruments();

    public double Sum(string name, string? tag = null, object? tagValue = null) =>
        _measurements.Where(m => m.Name == name && (tag is null || m.Tags.Any(t => t.Key == tag && Equals(t.Value, tagValue)))).Sum(m => m.Value);

    public double Last(string name) => _measurements.Last(m => m.Name == name).Value;

    public void Dispose() => _listener.Dispose();
}
