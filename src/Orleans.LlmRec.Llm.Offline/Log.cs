using Microsoft.Extensions.Logging;

namespace Orleans.LlmRec.Llm.Offline;

internal static partial class Log
{
    // Event ids continue the LLM layer's numbering (Orleans.LlmRec.Llm.Log), so one id never means two things.
    [LoggerMessage(EventId = 40, Level = LogLevel.Information,
        Message = "Augmentation of user {UserId} produced no triple ({Reason})")]
    public static partial void AugmentationSkipped(ILogger logger, string userId, string reason);
}
