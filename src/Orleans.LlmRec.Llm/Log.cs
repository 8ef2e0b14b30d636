using Microsoft.Extensions.Logging;

namespace Orleans.LlmRec.Llm;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Status}")]
    public static partial void Started(ILogger logger, string status);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information,
        Message = "No API key in environment variable {Variable}; requests go without one (fine for local servers such as Ollama)")]
    public static partial void NoApiKey(ILogger logger, string variable);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "LLM {Operation} call failed ({Reason})")]
    public static partial void CallFailed(ILogger logger, Exception exception, string operation, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "LLM {Operation} answer rejected ({Reason}): {Detail}")]
    public static partial void AnswerRejected(ILogger logger, string operation, string reason, string detail);

    [LoggerMessage(EventId = 12, Level = LogLevel.Debug,
        Message = "LLM {Operation} answer: {Accepted} scores kept, {UnknownIds} unknown and {DuplicateIds} duplicate ids dropped, {Clamped} scores clamped")]
    public static partial void RerankValidated(ILogger logger, string operation, int accepted, int unknownIds, int duplicateIds, int clamped);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Could not evict an unusable {Operation} answer from the LLM cache")]
    public static partial void CacheEvictionFailed(ILogger logger, Exception exception, string operation);

    [LoggerMessage(EventId = 20, Level = LogLevel.Warning,
        Message = "LLM circuit opened for {BreakDuration}: calls fail fast until then")]
    public static partial void CircuitOpened(ILogger logger, TimeSpan breakDuration);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "LLM circuit half-open: the next call is a trial")]
    public static partial void CircuitHalfOpened(ILogger logger);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "LLM circuit closed: calls flow again")]
    public static partial void CircuitClosed(ILogger logger);

    [LoggerMessage(EventId = 30, Level = LogLevel.Information,
        Message = "LLM work queue full ({Capacity}); shed the {Kind} job of user {UserId} queued at {EnqueuedAt:O}")]
    public static partial void JobShed(ILogger logger, int capacity, string kind, string userId, DateTimeOffset enqueuedAt);

    [LoggerMessage(EventId = 31, Level = LogLevel.Error, Message = "LLM {Kind} job of user {UserId} failed unexpectedly")]
    public static partial void JobFailed(ILogger logger, Exception exception, string kind, string userId);

    [LoggerMessage(EventId = 32, Level = LogLevel.Warning, Message = "Result callback of the LLM {Kind} job of user {UserId} threw")]
    public static partial void CallbackFailed(ILogger logger, Exception exception, string kind, string userId);
}
