using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Orleans.LlmRec.Llm;

/// <summary>
/// What every LLM operation does around its call: time it, turn exceptions into a named failure (callers get a
/// result, never an exception, except for their own cancellation), count calls, errors and tokens, and evict cached
/// answers that proved unusable.
/// </summary>
internal sealed class LlmCaller(IChatClient chatClient, LlmMetrics metrics, LlmResponseCache cache, TimeProvider timeProvider, ILogger logger)
{
    public IChatClient ChatClient => chatClient;

    /// <summary>The caller every LLM component builds in its constructor: checks what is required, defaults the rest.</summary>
    public static LlmCaller For(IChatClient chatClient, LlmMetrics metrics, LlmResponseCache? cache, TimeProvider? timeProvider, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        ArgumentNullException.ThrowIfNull(metrics);
        return new LlmCaller(chatClient, metrics, cache ?? new LlmResponseCache(null), timeProvider ?? TimeProvider.System, logger ?? NullLogger.Instance);
    }

    public async Task<LlmCall<TResponse>> CallAsync<TResponse>(
        string operation, Func<IChatClient, CancellationToken, Task<TResponse>> call, CancellationToken cancellationToken)
        where TResponse : ChatResponse
    {
        var started = timeProvider.GetTimestamp();
        try
        {
            var response = await call(chatClient, cancellationToken).ConfigureAwait(false);
            return new LlmCall<TResponse>(operation, started, response, null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception exception)
        {
            var reason = LlmFailure.Classify(exception);
            RecordFailure(operation, started, reason, LlmUsage.None);
            Log.CallFailed(logger, exception, operation, reason);
            return new LlmCall<TResponse>(operation, started, null, reason);
        }
    }

    public void Succeeded<TResponse>(LlmCall<TResponse> call, LlmUsage usage)
        where TResponse : ChatResponse =>
        metrics.RecordCall(call.Operation, "success", timeProvider.GetElapsedTime(call.Started), usage);

    /// <summary>The call returned but its answer is unusable: count it and evict it from the cache.</summary>
    public async Task RejectedAsync<TResponse>(LlmCall<TResponse> call, string reason, LlmUsage usage, string detail, CancellationToken cancellationToken)
        where TResponse : ChatResponse
    {
        RecordFailure(call.Operation, call.Started, reason, usage);
        Log.AnswerRejected(logger, call.Operation, reason, detail);
        if (call.Response is not null)
        {
            try
            {
                await cache.EvictAsync(call.Response, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // A cache that cannot evict only means the same bad answer may come back once more; not worth failing for.
                Log.CacheEvictionFailed(logger, exception, call.Operation);
            }
        }
    }

    public void RecordValidation(string operation, int unknownIds, int duplicateIds, int clampedScores) =>
        metrics.RecordValidation(operation, unknownIds, duplicateIds, clampedScores);

    public static LlmUsage UsageOf(ChatResponse response) => new(
        response.Usage?.InputTokenCount ?? 0,
        response.Usage?.OutputTokenCount ?? 0,
        LlmResponseCache.IsCacheHit(response));

    private void RecordFailure(string operation, long started, string reason, LlmUsage usage)
    {
        metrics.RecordError(operation, reason);
        metrics.RecordCall(operation, reason == LlmFailure.Malformed ? "malformed" : "failure", timeProvider.GetElapsedTime(started), usage);
    }
}

/// <summary>One call's response, or the reason it failed.</summary>
internal readonly record struct LlmCall<TResponse>(string Operation, long Started, TResponse? Response, string? FailureReason)
    where TResponse : ChatResponse;
