namespace Orleans.LlmRec.Llm.Queue;

/// <summary>
/// Wakes <see cref="LlmWorkQueue"/>'s dispatcher when a job arrives. At most one signal is ever pending.
/// Left undisposed on purpose: its semaphore holds no OS handle unless its wait handle is asked for, which it never is.
/// </summary>
internal sealed class JobArrivalSignal
{
    private readonly SemaphoreSlim _arrived = new(0, 1);

    public void Signal()
    {
        // One pending signal is enough to wake the dispatcher; more would only make it spin through an empty queue.
        if (_arrived.CurrentCount == 0)
        {
            try
            {
                _arrived.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another enqueue signalled between the check and the release; one signal is all the dispatcher needs.
            }
        }
    }

    /// <summary>Completes when a job has arrived since the last wait (consuming the signal).</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => _arrived.WaitAsync(cancellationToken);
}
