using Orleans.Persistence.Redis;
using Orleans.Storage;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Cluster;

/// <summary>What is unavailable when a call failed for a reason that says nothing about the request.</summary>
public enum OutageKind
{
    /// <summary>No answer in time (our budget, an Orleans response timeout, a message that expired before placement).</summary>
    Timeout,

    /// <summary>No silo answers (starting, stopping, a silo died, an API tier without a gateway).</summary>
    Cluster,

    /// <summary>Redis (grain storage) is unreachable, too slow, or a write raced another.</summary>
    Storage,
}

/// <summary>
/// Looks through the wrappers Orleans and the storage providers put around a failure (OrleansException,
/// RedisStorageException, AggregateException...) for the cause that makes it an outage. The HTTP API answers those with
/// 503 and <c>Retry-After</c>; the stream consumer retries them for as long as they last.
/// </summary>
public static class Outages
{
    private const int MaxDepth = 8;

    /// <summary>Exception type names that, in a storage error's message, say Redis was unavailable or too slow.</summary>
    private static readonly string[] RedisCauses = ["RedisConnectionException", "RedisServerException", "RedisException", "TimeoutException"];

    /// <summary>The wording of Orleans' grain-directory errors that are a cluster outage (a membership change not yet taken in everywhere).</summary>
    public static IReadOnlyList<string> DirectoryInFluxPhrases => ClusterFailures.DirectoryInFluxPhrases;

    /// <summary>The kind of outage <paramref name="e"/> is, or null when it is something else (a bug, bad data).</summary>
    public static OutageKind? Classify(Exception e) => Classify(e, 0);

    /// <summary>The innermost exception, by type name: what a one-line log says the failure was.</summary>
    public static string RootCause(Exception e)
    {
        var depth = 0;
        while (depth++ < MaxDepth)
        {
            var next = e is AggregateException { InnerExceptions.Count: > 0 } a ? a.InnerExceptions[0] : e.InnerException;
            if (next is null) break;
            e = next;
        }
        return e.GetType().Name;
    }

    private static OutageKind? Classify(Exception e, int depth)
    {
        if (depth > MaxDepth) return null;
        switch (e)
        {
            // Storage first: RedisTimeoutException is a TimeoutException too, and says more as "storage".
            case RedisException or RedisTimeoutException or InconsistentStateException:
                return OutageKind.Storage;
            // The provider's wrapper says what failed, its cause whether Redis was unavailable (a RedisException) or the
            // stored state is damaged (e.g. a FormatException: not an outage, retrying cannot help). Orleans' Redis
            // provider names the cause only in its message ("Failed to write grain state ... RedisTimeoutException: ...").
            case RedisStorageException storage:
                if (storage.InnerException is { } cause) return Classify(cause, depth + 1);
                return RedisCauses.Any(c => storage.Message.Contains(c, StringComparison.Ordinal)) ? OutageKind.Storage : null;
            case TimeoutException:
                return OutageKind.Timeout;
            // "Message expired before placement could complete", an Orleans call cancelled by its own timeout. A call
            // cancelled because the HTTP client went away is told apart by the caller (it knows its request's token).
            case OperationCanceledException:
                return OutageKind.Timeout;
            case AggregateException aggregate:
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (Classify(inner, depth + 1) is { } kind) return kind;
                }
                return null;
        }
        if (ClusterFailures.IsUnavailable(e)) return OutageKind.Cluster;
        return e.InnerException is { } wrapped ? Classify(wrapped, depth + 1) : null;
    }
}
