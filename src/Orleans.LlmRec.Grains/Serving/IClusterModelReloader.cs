using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Grains.Serving;

/// <summary>
/// Reloads the model on every active silo at once, so an operator's one call (or one call through a load balancer)
/// leaves no silo serving the old version. Implemented by the silo host, which owns model loading.
/// </summary>
public interface IClusterModelReloader
{
    Task<ClusterModelReload> ReloadEverywhereAsync(CancellationToken cancellationToken = default);
}
