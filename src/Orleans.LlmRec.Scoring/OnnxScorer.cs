using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.LlmRec.Recommendation.Onnx;

namespace Orleans.LlmRec.Scoring;

/// <summary>
/// Serves one exported model (see onnx/README.md) with ONNX Runtime. Concurrent requests are gathered through a
/// bounded channel into batches of up to <see cref="ScorerOptions.MaxBatchSize"/>, each scored by a single
/// <c>InferenceSession.Run</c>. <see cref="SwapAsync"/> loads a new model beside the current one and switches to it
/// atomically: requests already queued finish on the model they started with, and the old sessions are disposed
/// when the last of them completes. A file that fails any load check is refused and the current model keeps serving.
/// </summary>
public sealed class OnnxScorer : IScorer, IAsyncDisposable, IDisposable
{
    private readonly ScorerOptions _options;
    private readonly ILogger _logger;
    private readonly ModelExpectation? _expectation;
    private readonly Channel<PendingRequest> _queue;
    private readonly Task[] _batchLoops;
    private readonly SemaphoreSlim _swapLock = new(1, 1);
    private readonly int _selectionParallelism;
    private readonly ScorerCounters _counters = new();
    private int _completionsInFlight;
    private LoadedOnnxModel _current;
    private int _disposed;

    private OnnxScorer(LoadedOnnxModel initial, ScorerOptions options, ModelExpectation? expectation, ILogger logger)
    {
        _current = initial;
        _options = options;
        _expectation = expectation;
        _logger = logger;
        // Top-k selection of a batch gets as many workers as ONNX Runtime gets intra-op threads for the MatMul.
        _selectionParallelism = options.IntraOpThreads > 0 ? options.IntraOpThreads : Environment.ProcessorCount;
        _queue = Channel.CreateBounded<PendingRequest>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            // Not SingleReader: a batch loop may leave a WaitToReadAsync pending when its wait for more requests times out.
            SingleReader = false,
        });
        _batchLoops = new Task[options.ConcurrentBatches];
        for (var i = 0; i < _batchLoops.Length; i++) _batchLoops[i] = Task.Run(RunBatchLoopAsync);
    }

    /// <summary>
    /// Loads the model at <paramref name="path"/> (and its <c>.candidates.onnx</c> sibling when present).
    /// <paramref name="expectation"/> is checked at this load and at every swap that does not bring its own.
    /// </summary>
    /// <exception cref="ScoringModelException">The file is missing, malformed, truncated or not the expected model.</exception>
    public static OnnxScorer Load(string path, ScorerOptions? options = null, ILogger? logger = null, ModelExpectation? expectation = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new ScorerOptions();
        options.ThrowIfInvalid();
        logger ??= NullLogger.Instance;
        var model = LoadedOnnxModel.Load(path, options, expectation, logger);
        return new OnnxScorer(model, options, expectation, logger);
    }

    public OnnxModelInfo Model => Volatile.Read(ref _current).Info;

    /// <summary>The execution provider the current model runs on, e.g. <c>CPUExecutionProvider</c>.</summary>
    public string ExecutionProvider => Volatile.Read(ref _current).ExecutionProvider;

    public bool SupportsCandidates => Volatile.Read(ref _current).Candidates is not null;

    /// <summary>
    /// Whether full-catalogue requests run on the current model's serving graph (scoring contract 2: MatMul in ONNX
    /// Runtime, exclusions and top-k in managed code) rather than on the full-catalogue graph's in-graph mask and TopK.
    /// </summary>
    public bool UsesItemScoresGraph => Volatile.Read(ref _current).ItemScores is not null;

    public ScorerStatistics Statistics => _counters.Snapshot();

    /// <summary>The model now serving, for tests that watch disposal of swapped-out models.</summary>
    internal LoadedOnnxModel CurrentLoadedModel => Volatile.Read(ref _current);

    public async Task<ScoringResult> ScoreAsync(ScoringRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pending = Enqueue(request, cancellationToken, out var writeTask);
        if (writeTask is { } write) await write.ConfigureAwait(false);
        return await pending.ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ScoringResult>> ScoreBatchAsync(IReadOnlyList<ScoringRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var results = new Task<ScoringResult>[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(requests[i]);
            results[i] = Enqueue(requests[i], cancellationToken, out var writeTask);
            if (writeTask is { } write) await write.ConfigureAwait(false);
        }
        return await Task.WhenAll(results).ConfigureAwait(false);
    }

    /// <summary>
    /// Loads <paramref name="path"/> beside the current model and, if every check passes, makes it current.
    /// On failure the current model keeps serving and the <see cref="ScoringModelException"/> is rethrown.
    /// </summary>
    public async Task<OnnxModelInfo> SwapAsync(string path, ModelExpectation? expectation = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _swapLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            LoadedOnnxModel loaded;
            try
            {
                loaded = await Task.Run(() => LoadedOnnxModel.Load(path, _options, expectation ?? _expectation, _logger), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.SwapRefused(_logger, e, path, Model.Version);
                throw;
            }
            if (Volatile.Read(ref _disposed) != 0)
            {
                loaded.Release();
                throw new ObjectDisposedException(nameof(OnnxScorer));
            }
            var previous = Interlocked.Exchange(ref _current, loaded);
            _counters.RecordSwap();
            Log.ModelSwapped(_logger, previous.Info.Version, loaded.Info.Version);
            previous.Release();
            return loaded.Info;
        }
        finally
        {
            _swapLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Requests already queued are still scored; new ones are refused.
        _queue.Writer.TryComplete();
        await Task.WhenAll(_batchLoops).ConfigureAwait(false);
        // The last batches' results are handed out by work items of their own: every caller's task is completed
        // before DisposeAsync returns, as it was when results were set on the batch loop.
        while (Volatile.Read(ref _completionsInFlight) != 0) await Task.Delay(1).ConfigureAwait(false);
        await _swapLock.WaitAsync().ConfigureAwait(false);
        try
        {
            Volatile.Read(ref _current).Release();
        }
        finally
        {
            _swapLock.Release();
        }
        _swapLock.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Validates the request against the current model, takes a reference on that model for the request's lifetime
    /// and queues it. Returns the task of the result; <paramref name="writeTask"/> is set only when the queue is full.
    /// </summary>
    private Task<ScoringResult> Enqueue(ScoringRequest request, CancellationToken cancellationToken, out Task? writeTask)
    {
        writeTask = null;
        cancellationToken.ThrowIfCancellationRequested();
        var model = AcquireCurrent();
        PendingRequest pending;
        try
        {
            ScoringRequestChecks.Validate(request, model);
            if (request.Candidates is { Length: 0 })
            {
                model.Release();
                return Task.FromResult(new ScoringResult([], model.Info.Version));
            }
            pending = new PendingRequest(request, model, cancellationToken);
        }
        catch
        {
            model.Release();
            throw;
        }
        if (!_queue.Writer.TryWrite(pending))
        {
            writeTask = WriteSlowAsync(pending, cancellationToken);
        }
        return pending.Completion.Task;
    }

    private async Task WriteSlowAsync(PendingRequest pending, CancellationToken cancellationToken)
    {
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            pending.Abandon(null, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            pending.Abandon(new ObjectDisposedException(nameof(OnnxScorer)), cancellationToken);
        }
    }

    private LoadedOnnxModel AcquireCurrent()
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var model = Volatile.Read(ref _current);
            // Fails only if a swap has just retired and disposed this model; the next read sees its successor.
            if (model.TryAcquire()) return model;
        }
    }

    private async Task RunBatchLoopAsync()
    {
        using var buffers = new BatchBuffers();
        var batch = new List<PendingRequest>(_options.MaxBatchSize);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            await BatchCollector.CollectAsync(reader, batch, _options.MaxBatchSize, _options.MaxBatchWait).ConfigureAwait(false);
            if (batch.Count > 0) Execute(batch, buffers);
            batch.Clear();
        }
    }

    private void Execute(List<PendingRequest> batch, BatchBuffers buffers)
    {
        var groups = BatchCollector.GroupBySession(batch);
        foreach (var (model, candidates, requests) in groups)
        {
            // Counted before results are handed out, so a caller that has its result also sees it counted.
            _counters.RecordBatch(requests.Count);
            ScoredItem[][]? results = null;
            Exception? failure = null;
            var started = Stopwatch.GetTimestamp();
            try
            {
                var batchRequests = requests.ConvertAll(p => p.Request);
                if (candidates) results = buffers.Run(model.Candidates!, model.Info, batchRequests, candidates: true);
                else if (model.ItemScores is { } itemScores) results = buffers.RunItemScores(itemScores, model.Info, batchRequests, _selectionParallelism);
                else results = buffers.Run(model.FullCatalogue, model.Info, batchRequests, candidates: false);
            }
            catch (Exception e)
            {
                Log.BatchFailed(_logger, e, requests.Count);
                failure = e;
            }
            ScorerMetrics.RecordBatch(model.ProviderTag, requests.Count, Stopwatch.GetElapsedTime(started));
            // Model references go before results: a caller that sees its result may rely on a retired model being gone.
            foreach (var pending in requests) pending.Finish();
            // Results are handed out by one thread-pool work item per batch, never on the batch loop (a caller's
            // continuation must not stall the next batch), and its callers' continuations run there one after the
            // other instead of as one work item each (64 thread-pool hand-offs per batch cost more than the top-k).
            // Queued locally: when the loop goes back to waiting, its own thread picks the item up with no wake-up
            // (and an idle worker steals it if the loop goes straight on to the next batch).
            Interlocked.Increment(ref _completionsInFlight);
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Complete(), new BatchCompletion(this, requests, results, failure, model.Info.Version), preferLocal: true);
        }
    }

    /// <summary>Called by each <see cref="BatchCompletion"/> once its callers have their results.</summary>
    internal void CompletionFinished() => Interlocked.Decrement(ref _completionsInFlight);
}
