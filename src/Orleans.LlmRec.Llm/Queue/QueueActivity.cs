namespace Orleans.LlmRec.Llm.Queue;

/// <summary>
/// How many of <see cref="LlmWorkQueue"/>'s jobs are running, and the task that completes when none is waiting or
/// running. Not thread-safe: the queue calls it under its lock.
/// </summary>
internal sealed class QueueActivity
{
    private TaskCompletionSource _idle = NewIdleSource(completed: true);

    public int RunningCount { get; private set; }

    /// <summary>Completes when no job is waiting or running; a job queued after that starts a new wait.</summary>
    public Task Idle => _idle.Task;

    /// <summary>A job was queued: the queue is no longer idle.</summary>
    public void JobQueued()
    {
        if (_idle.Task.IsCompleted)
        {
            _idle = NewIdleSource(completed: false);
        }
    }

    public void JobStarted() => RunningCount++;

    /// <summary>A job has finished running; <paramref name="waiting"/> jobs are still queued.</summary>
    public void JobFinished(int waiting)
    {
        RunningCount--;
        if (waiting == 0 && RunningCount == 0)
        {
            _idle.TrySetResult();
        }
    }

    private static TaskCompletionSource NewIdleSource(bool completed)
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed)
        {
            source.SetResult();
        }
        return source;
    }
}
