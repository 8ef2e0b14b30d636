namespace Orleans.LlmRec.Llm.Queue;

/// <summary>What <see cref="LlmWorkQueue.Enqueue"/> did with a job.</summary>
public enum LlmEnqueueResult
{
    /// <summary>Queued.</summary>
    Queued,

    /// <summary>Took the place of the same user's waiting job of the same kind (whose callback will not be called).</summary>
    Replaced,

    /// <summary>Queued after shedding an older job to stay within capacity.</summary>
    QueuedAfterShedding,

    /// <summary>Not queued: the queue is full of jobs of higher priority. Its callback receives a shed result.</summary>
    Shed,

    /// <summary>Not queued: the queue is shutting down.</summary>
    Stopped,
}

/// <summary>A job waiting in line, with the token cost estimated when it was queued.</summary>
internal readonly record struct WaitingJob(LlmJob Job, int EstimatedTokens, DateTimeOffset EnqueuedAt);

/// <summary>
/// The line of jobs waiting in <see cref="LlmWorkQueue"/>, and its rules: one job per user and kind (a newer one takes
/// the older one's place, and moves to the active group when its priority is higher); active-user jobs before
/// background ones, oldest first within each; never more than the capacity (the oldest background job is shed first,
/// then the oldest active one for an active newcomer, else the newcomer itself). Not thread-safe: the queue holds its
/// lock around every call.
/// </summary>
internal sealed class WaitingJobs(int capacity)
{
    private readonly LinkedList<WaitingJob> _active = new();
    private readonly LinkedList<WaitingJob> _background = new();
    private readonly Dictionary<(string UserId, LlmJobKind Kind), LinkedListNode<WaitingJob>> _byUser = [];

    public int Count => _byUser.Count;

    /// <summary>Adds <paramref name="job"/> by the rules above; <paramref name="shed"/> is the job dropped to make room, if any.</summary>
    public LlmEnqueueResult Add(LlmJob job, int estimate, DateTimeOffset now, out WaitingJob? shed)
    {
        shed = null;
        var key = (job.UserId, job.Kind);
        if (_byUser.TryGetValue(key, out var existing))
        {
            Replace(existing, job, estimate);
            return LlmEnqueueResult.Replaced;
        }
        var result = LlmEnqueueResult.Queued;
        if (_byUser.Count >= capacity)
        {
            var victim = _background.First ?? (job.Priority == LlmJobPriority.ActiveUser ? _active.First : null);
            if (victim is null)
            {
                shed = new WaitingJob(job, estimate, now);
                return LlmEnqueueResult.Shed;
            }
            Remove(victim);
            shed = victim.Value;
            result = LlmEnqueueResult.QueuedAfterShedding;
        }
        _byUser.Add(key, ListFor(job.Priority).AddLast(new WaitingJob(job, estimate, now)));
        return result;
    }

    /// <summary>The job to run next, without taking it.</summary>
    public WaitingJob? Peek() => (_active.First ?? _background.First)?.Value;

    /// <summary>Takes the job <see cref="Peek"/> returned.</summary>
    public WaitingJob TakeFirst()
    {
        var node = _active.First ?? _background.First ?? throw new InvalidOperationException("No job is waiting.");
        Remove(node);
        return node.Value;
    }

    public void Clear()
    {
        _active.Clear();
        _background.Clear();
        _byUser.Clear();
    }

    private void Replace(LinkedListNode<WaitingJob> existing, LlmJob job, int estimate)
    {
        var entry = existing.Value with { Job = job, EstimatedTokens = estimate };
        if (job.Priority == LlmJobPriority.ActiveUser && existing.List == _background)
        {
            // Promoted: it joins the active group at the back, as a new active job would.
            _background.Remove(existing);
            _byUser[(job.UserId, job.Kind)] = _active.AddLast(entry);
        }
        else
        {
            // Same place in line; an active job stays active even if the newer request is background work.
            existing.Value = entry;
        }
    }

    private void Remove(LinkedListNode<WaitingJob> node)
    {
        node.List!.Remove(node);
        _byUser.Remove((node.Value.Job.UserId, node.Value.Job.Kind));
    }

    private LinkedList<WaitingJob> ListFor(LlmJobPriority priority) => priority == LlmJobPriority.ActiveUser ? _active : _background;
}
