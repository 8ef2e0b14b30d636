using Orleans.LlmRec.Llm.Profiles;
using Orleans.LlmRec.Llm.Reranking;

namespace Orleans.LlmRec.Llm.Queue;

public enum LlmJobKind
{
    Profile,
    Rerank,
}

/// <summary>Which jobs run first, and which are shed last.</summary>
public enum LlmJobPriority
{
    /// <summary>Refreshes nobody is waiting for (offline users, periodic refresh).</summary>
    Background = 0,

    /// <summary>Users active now: their feed will be read soon.</summary>
    ActiveUser = 1,
}

/// <summary>
/// One unit of LLM work for one user, with the callback that delivers its result (the grain layer passes a delegate
/// that calls the user's grain). The queue keeps at most one job per user and kind: a newer one replaces an older one
/// still waiting, whose callback is then never called.
/// </summary>
public abstract class LlmJob
{
    private protected LlmJob(string userId, LlmJobPriority priority)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        UserId = userId;
        Priority = priority;
    }

    public string UserId { get; }

    public LlmJobPriority Priority { get; }

    public abstract LlmJobKind Kind { get; }

    internal abstract int EstimateTokens(IProfileWriter profileWriter, IReranker reranker);

    /// <summary>Runs the job and keeps its result for <see cref="DeliverAsync"/>; returns what it spent.</summary>
    internal abstract Task<LlmUsage> RunAsync(IProfileWriter profileWriter, IReranker reranker, CancellationToken cancellationToken);

    /// <summary>Records that the queue dropped the job unrun; <see cref="DeliverAsync"/> then reports it as shed.</summary>
    internal abstract void MarkShed();

    /// <summary>Records that running the job threw; <see cref="DeliverAsync"/> then reports it as failed.</summary>
    internal abstract void MarkFailed(string reason);

    internal abstract Task DeliverAsync(CancellationToken cancellationToken);
}

/// <summary>Write a user's profile; the callback receives the result (also when failed or shed).</summary>
public sealed class ProfileJob(ProfileRequest request, LlmJobPriority priority, Func<ProfileResult, CancellationToken, Task> onCompleted)
    : LlmJob(request.UserId, priority)
{
    private ProfileResult? _result;

    public ProfileRequest Request { get; } = request;

    public override LlmJobKind Kind => LlmJobKind.Profile;

    internal override int EstimateTokens(IProfileWriter profileWriter, IReranker reranker) => profileWriter.EstimateTokens(Request);

    internal override async Task<LlmUsage> RunAsync(IProfileWriter profileWriter, IReranker reranker, CancellationToken cancellationToken)
    {
        _result = await profileWriter.WriteProfileAsync(Request, cancellationToken).ConfigureAwait(false);
        return _result.Usage;
    }

    internal override void MarkShed() =>
        _result = new ProfileResult(LlmResultStatus.Shed, null, ProfileSource.Llm, LlmUsage.None, "The LLM work queue was full.");

    internal override void MarkFailed(string reason) =>
        _result = new ProfileResult(LlmResultStatus.Failed, null, ProfileSource.Llm, LlmUsage.None, reason);

    internal override Task DeliverAsync(CancellationToken cancellationToken) =>
        _result is null ? Task.CompletedTask : onCompleted(_result, cancellationToken);
}

/// <summary>Re-rank a user's candidates; the callback receives the result (also when failed or shed).</summary>
public sealed class RerankJob(RerankRequest request, LlmJobPriority priority, Func<RerankResult, CancellationToken, Task> onCompleted)
    : LlmJob(request.UserId, priority)
{
    private RerankResult? _result;

    public RerankRequest Request { get; } = request;

    public override LlmJobKind Kind => LlmJobKind.Rerank;

    internal override int EstimateTokens(IProfileWriter profileWriter, IReranker reranker) => reranker.EstimateTokens(Request);

    internal override async Task<LlmUsage> RunAsync(IProfileWriter profileWriter, IReranker reranker, CancellationToken cancellationToken)
    {
        _result = await reranker.RerankAsync(Request, cancellationToken).ConfigureAwait(false);
        return _result.Usage;
    }

    internal override void MarkShed() =>
        _result = new RerankResult(LlmResultStatus.Shed, RerankResult.EmptyScores, RerankSource.Llm, LlmUsage.None, default,
            "The LLM work queue was full.");

    internal override void MarkFailed(string reason) =>
        _result = new RerankResult(LlmResultStatus.Failed, RerankResult.EmptyScores, RerankSource.Llm, LlmUsage.None, default, reason);

    internal override Task DeliverAsync(CancellationToken cancellationToken) =>
        _result is null ? Task.CompletedTask : onCompleted(_result, cancellationToken);
}
