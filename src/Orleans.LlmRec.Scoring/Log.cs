using Microsoft.Extensions.Logging;

namespace Orleans.LlmRec.Scoring;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Scoring model {Version} ({Kind}, {ItemCount} items, d={Dimension}) loaded from {Path}; runs on {ExecutionProvider}")]
    public static partial void ModelLoaded(ILogger logger, string kind, string version, int itemCount, int dimension, string executionProvider, string path);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "CUDA was asked for but this ONNX Runtime build offers only [{AvailableProviders}]; scoring runs on CPUExecutionProvider (build with -p:OnnxRuntimeGpu=true for CUDA)")]
    public static partial void CudaUnavailable(ILogger logger, string availableProviders);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning,
        Message = "Execution provider {ExecutionProvider} could not be used ({Reason}); falling back to CPUExecutionProvider")]
    public static partial void ProviderFailed(ILogger logger, string executionProvider, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information,
        Message = "Scoring model {Version} has no candidate graph ({CandidatesPath}); candidate requests will be refused")]
    public static partial void NoCandidateGraph(ILogger logger, string version, string candidatesPath);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information,
        Message = "Swapped scoring model {OldVersion} for {NewVersion}; the old one is disposed once its in-flight requests finish")]
    public static partial void ModelSwapped(ILogger logger, string oldVersion, string newVersion);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Scoring model {Version} ({Path}) disposed")]
    public static partial void ModelDisposed(ILogger logger, string version, string path);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error,
        Message = "Refused to swap in scoring model {Path}; model {CurrentVersion} keeps serving")]
    public static partial void SwapRefused(ILogger logger, Exception exception, string path, string currentVersion);

    [LoggerMessage(EventId = 8, Level = LogLevel.Error, Message = "A scoring batch of {BatchSize} requests failed")]
    public static partial void BatchFailed(ILogger logger, Exception exception, int batchSize);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information,
        Message = "Scoring model {Version} has no serving graph ({ItemScoresPath}, scoring contract 2); full-catalogue requests run the full-catalogue graph's in-graph mask and TopK instead (slower)")]
    public static partial void NoItemScoresGraph(ILogger logger, string version, string itemScoresPath);
}
