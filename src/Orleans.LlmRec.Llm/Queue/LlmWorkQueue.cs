using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.LlmRec.Llm.Profiles;
using Orleans.LlmRec.Llm.Reranking;

namespace Orleans.LlmRec.Llm.Queue;

/// <summary>
/// The one LLM work queue of a silo. It keeps LLM calls off the request path and within bounds:
/// <list type="bullet">
/// <item>at most one waiting job per user and kind: a newer job replaces the older in its place in line (it carries
/// newer data; the user does not lose their turn), and moves to the front group if its priority is higher;</item>
/// <item><see cref="LlmJobPriority.ActiveUser"/> jobs run before <see cref="LlmJobPriority.Background"/> ones, oldest first within each;</item>
/// <item>never more than <see cref="LlmOptions.QueueCapacity"/> waiting jobs: when full, the oldest background job is
/// shed, or, if all are active-user jobs, the oldest of those, or the new job itself if it is background work;</item>
/// <item>at most <see cref="LlmOptions.MaxConcurrency"/> calls at once, and no job starts before the
/// <see cref="LlmOptions.TokensPerMinute"/> budget holds its estimated cost.</item>
/// </list>
/// Results, including failures and sheds, go to each job's callback; callbacks run on the thread pool and their
/// exceptions are logged, never rethrown.
/// </summary>
public sealed class LlmWorkQueue : IAsyncDisposable, IDisposable
{
    private readonly IProfileWriter _profileWriter;
    private readonly IReranker _reranker;
    private readonly LlmMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly int _capacity;
    private readonly Lock _gate = new();
    private readonly WaitingJobs _waiting;
    private readonly HashSet<Task> _running = [];
    private readonly TokenBudget _budget;
    private readonly SemaphoreSlim _slots;
    private readonly JobArrivalSignal _jobArrived = new();
    private readonly QueueActivity _activity = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationToken _stoppingToken;
    private readonly Task _dispatcher;
    private bool _stopped;

    public LlmWorkQueue(
        IProfileWriter profileWriter,
        IReranker reranker,
        LlmOptions options,
        LlmMetrics metrics,
        ILogger<LlmWorkQueue>? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(profileWriter);
        ArgumentNullException.ThrowIfNull(reranker);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.QueueCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrency, 1);
        _profileWriter = profileWriter;
        _reranker = reranker;
        _metrics = metrics;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _capacity = options.QueueCapacity;
        _waiting = new WaitingJobs(_capacity);
        _budget = new TokenBudget(options.TokensPerMinute, _timeProvider);
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _stoppingToken = _stopping.Token;
        metrics.ObserveQueueDepth(() => Count);
        _dispatcher = Task.Run(DispatchAsync);
    }

    public int Capacity => _capacity;

    /// <summary>Jobs waiting (not those running).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>Jobs running now.</summary>
    public int RunningCount
    {
        get
        {
            lock (_gate)
            {
                return _activity.RunningCount;
            }
        }
    }

    /// <summary>Adds a job; never blocks and never grows the queue past its capacity.</summary>
    public LlmEnqueueResult Enqueue(LlmJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        // Estimated once, outside the lock: it builds the prompt, which is not free for 50 candidates.
        var estimate = job.EstimateTokens(_profileWriter, _reranker);
        WaitingJob? shed;
        LlmEnqueueResult result;
        lock (_gate)
        {
            if (_stopped)
            {
                return LlmEnqueueResult.Stopped;
            }
            result = _waiting.Add(job, estimate, _timeProvider.GetUtcNow(), out shed);
            if (result != LlmEnqueueResult.Shed)
            {
                _activity.JobQueued();
            }
        }

        if (result != LlmEnqueueResult.Shed)
        {
            _jobArrived.Signal();
        }
        if (shed is { } dropped)
        {
            _metrics.RecordShed(dropped.Job.Kind.ToString());
            Log.JobShed(_logger, _capacity, dropped.Job.Kind.ToString(), dropped.Job.UserId, dropped.EnqueuedAt);
            dropped.Job.MarkShed();
            _ = Task.Run(() => DeliverAsync(dropped.Job));
        }
        return result;
    }

    /// <summary>Completes when no job is waiting or running (for batch use and tests; new jobs start a new wait).</summary>
    public Task WhenIdleAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return _activity.Idle.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Stops taking jobs, cancels running ones and waits for them; waiting jobs are dropped without callbacks.</summary>
    public async ValueTask DisposeAsync()
    {
        Task[] running;
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }
            _stopped = true;
            _waiting.Clear();
            running = [.. _running];
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _dispatcher.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The dispatcher ends by cancellation.
        }
        await Task.WhenAll(running).ConfigureAwait(false);
        _metrics.ObserveQueueDepth(static () => 0);
        // The token source and semaphores are left undisposed on purpose: shed-job callbacks may still be reading
        // the token, and none of them holds an OS handle unless its wait handle is asked for, which this class never does.
    }

    /// <summary>For containers and hosts that dispose synchronously; blocks until running jobs have stopped.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task DispatchAsync()
    {
        var stopping = _stoppingToken;
        while (!stopping.IsCancellationRequested)
        {
            await _slots.WaitAsync(stopping).ConfigureAwait(false);
            WaitingJob? next = null;
            var reserved = 0;
            while (next is null)
            {
                TimeSpan wait;
                lock (_gate)
                {
                    (next, reserved, wait) = TryTakeNext();
                    if (next is not null)
                    {
                        _activity.JobStarted();
                        _running.RemoveWhere(static t => t.IsCompleted);
                        _running.Add(RunAsync(next.Value.Job, reserved));
                        break;
                    }
                }
                if (wait > TimeSpan.Zero)
                {
                    // The budget is short: sleep until it refills, but wake early if a job arrives (it may be cheaper).
                    using var wake = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                    var delay = Task.Delay(wait, _timeProvider, wake.Token);
                    var arrived = _jobArrived.WaitAsync(wake.Token);
                    await Task.WhenAny(delay, arrived).ConfigureAwait(false);
                    await wake.CancelAsync().ConfigureAwait(false);
                    stopping.ThrowIfCancellationRequested();
                }
                else
                {
                    await _jobArrived.WaitAsync(stopping).ConfigureAwait(false);
                }
            }
        }
    }

    // Called under the lock: the first waiting job if the budget can pay for it, else how long until it can.
    private (WaitingJob? Entry, int Reserved, TimeSpan Wait) TryTakeNext()
    {
        if (_waiting.Peek() is not { } first)
        {
            return (null, 0, TimeSpan.Zero);
        }
        var wait = _budget.TryReserve(first.EstimatedTokens);
        if (wait > TimeSpan.Zero)
        {
            return (null, 0, wait);
        }
        var taken = _waiting.TakeFirst();
        return (taken, taken.EstimatedTokens, TimeSpan.Zero);
    }

    private async Task RunAsync(LlmJob job, int reserved)
    {
        // Leave the dispatcher's lock and thread before doing any work.
        await Task.Yield();
        var usage = LlmUsage.None;
        var hasResult = false;
        try
        {
            usage = await job.RunAsync(_profileWriter, _reranker, _stoppingToken).ConfigureAwait(false);
            hasResult = true;
        }
        catch (OperationCanceledException) when (_stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception exception)
        {
            // Writers and re-rankers report failures as results; an exception here is a bug, kept from killing the queue.
            // The caller still hears of it, so it does not wait for an answer that will never come.
            Log.JobFailed(_logger, exception, job.Kind.ToString(), job.UserId);
            job.MarkFailed($"The LLM job threw {exception.GetType().Name}.");
            hasResult = true;
        }

        lock (_gate)
        {
            _budget.Settle(reserved, usage.SpentTokens);
        }
        if (hasResult)
        {
            await DeliverAsync(job).ConfigureAwait(false);
        }

        lock (_gate)
        {
            _activity.JobFinished(_waiting.Count);
        }
        _slots.Release();
    }

    private async Task DeliverAsync(LlmJob job)
    {
        try
        {
            await job.DeliverAsync(_stoppingToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !_stoppingToken.IsCancellationRequested)
        {
            Log.CallbackFailed(_logger, exception, job.Kind.ToString(), job.UserId);
        }
    }
}
