using Microsoft.Extensions.AI;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Orleans.LlmRec.Text;

/// <summary>
/// <c>TextEmbeddings:LoadInBackground</c>: loads MiniLM once the host has started, off the start-up path, so the first
/// published item does not wait for it; logs what loading cost. Without it the model loads on first use.
/// </summary>
public sealed partial class TextModelWarmUp(IEmbeddingGenerator<string, Embedding<float>> encoder, ILogger<TextModelWarmUp> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() =>
    {
        if (encoder is not MiniLmEmbeddingGenerator miniLm || miniLm.IsLoaded) return;
        miniLm.EnsureLoaded();
        LogLoaded(logger, MiniLmEmbeddingGenerator.ModelId, miniLm.LoadTime.TotalSeconds, miniLm.LoadMemoryBytes / (1024.0 * 1024.0));
    }, stoppingToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Text encoder {Model} loaded in the background in {Seconds:0.00} s (working set +{Megabytes:0} MB)")]
    private static partial void LogLoaded(ILogger logger, string model, double seconds, double megabytes);
}
