using Orleans.LlmRec.Llm.Queue;

namespace Orleans.LlmRec.Silo.Llm;

/// <summary>
/// Stops the silo's LLM work queue as soon as the host begins to stop, while the silo still runs: running calls are
/// cancelled and no result is delivered to a grain of a silo that is going away (waiting jobs are dropped; the grains
/// ask again after restart, as their refresh counters are persisted). Done in <see cref="StoppingAsync"/>, which the
/// host awaits before stopping any service, rather than in a blocking ApplicationStopping callback.
/// </summary>
internal sealed class LlmQueueShutdown(LlmWorkQueue queue) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken) => await queue.DisposeAsync();

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
