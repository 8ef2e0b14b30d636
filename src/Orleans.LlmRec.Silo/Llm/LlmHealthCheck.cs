using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Llm.Queue;

namespace Orleans.LlmRec.Silo.Llm;

/// <summary>
/// The LLM's part of <c>/health</c>: healthy when it is off (the TF-IDF fallback needs nothing) or reachable;
/// degraded, never unhealthy, while its circuit is open, because feeds are still served without it.
/// </summary>
public sealed class LlmHealthCheck(ILlmStatus status, LlmWorkQueue queue) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["enabled"] = status.IsEnabled,
            ["circuit"] = status.CircuitState.ToString(),
            ["queueDepth"] = queue.Count,
            ["queueCapacity"] = queue.Capacity,
        };
        var description = status.Describe();
        return Task.FromResult(status.IsEnabled && !status.IsAvailable
            ? HealthCheckResult.Degraded(description, data: data)
            : HealthCheckResult.Healthy(description, data));
    }
}
