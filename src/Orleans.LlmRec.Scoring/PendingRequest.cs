namespace Orleans.LlmRec.Scoring;

/// <summary>A queued request: what to score, the model it holds a reference on, and where its result goes.</summary>
internal sealed class PendingRequest
{
    private readonly CancellationTokenRegistration _cancellation;
    private int _finished;

    public PendingRequest(ScoringRequest request, LoadedOnnxModel model, CancellationToken cancellationToken)
    {
        Request = request;
        Model = model;
        // Completed from a work item of its own per batch (BatchCompletion), never on the batch loop, so
        // continuations may run synchronously there.
        Completion = new TaskCompletionSource<ScoringResult>();
        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.Register(static state =>
            {
                var (completion, token) = ((TaskCompletionSource<ScoringResult>, CancellationToken))state!;
                completion.TrySetCanceled(token);
            }, (Completion, cancellationToken));
        }
    }

    public ScoringRequest Request { get; }
    public LoadedOnnxModel Model { get; }
    public TaskCompletionSource<ScoringResult> Completion { get; }

    /// <summary>The request never reached the queue: cancel or fail it and drop its model reference.</summary>
    public void Abandon(Exception? reason, CancellationToken cancellationToken)
    {
        if (reason is null) Completion.TrySetCanceled(cancellationToken);
        else Completion.TrySetException(reason);
        Finish();
    }

    /// <summary>Releases the model reference exactly once.</summary>
    public void Finish()
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0) return;
        _cancellation.Dispose();
        Model.Release();
    }
}
