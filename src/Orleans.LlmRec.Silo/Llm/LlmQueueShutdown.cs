using Orleans.LlmRec.Llm.Queue;

namespace Orleans.LlmRec.Silo.Llm;

/// <summary>
/// Stops the silo's LLM work queue as soon as the host begins to stop, while the silo still runs: running calls are
/// cancelled and no result is delivered to a grain of a silo that is going away (waiting jobs are dropped; the grains
/// ask again after restart, as their refresh counters are persisted).
/// </summary>
internal sealed class LlmQueueShutdown(LlmWorkQueue queue, IHostApplicationLifetime lifetime) : IHostedService
{
    private CancellationTokenRegistration _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = lifetime.ApplicationStopping.Register(() => queue.Dispose());
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _registration.DisposeAsync();
        await queue.DisposeAsync();
    }
}
