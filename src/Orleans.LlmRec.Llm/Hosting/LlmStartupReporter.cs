using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Orleans.LlmRec.Llm.Hosting;

/// <summary>Says at start-up whether the LLM features are on, so an operator never has to guess from missing profiles.</summary>
internal sealed class LlmStartupReporter(ILlmStatus status, IOptions<LlmOptions> options, ILogger<LlmStartupReporter> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        Log.Started(logger, status.Describe());
        var value = options.Value;
        if (value.IsEnabled && value.ResolveApiKey() is null)
        {
            Log.NoApiKey(logger, value.ApiKeyEnvironmentVariable);
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
