using Orleans.Concurrency;

namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>
/// The cluster as the dashboard shows it, gathered on a silo: the membership (through the management grain), active
/// user grains per silo, and each active silo's samples (through its <see cref="IDashboardSiloService"/>). Silos and
/// the API tier both ask this grain, so every host serves the same cluster view.
/// </summary>
[Alias("llmrec.IOpsDashboardGrain")]
public interface IOpsDashboardGrain : IGrainWithIntegerKey
{
    /// <param name="seen">Per silo address, the time of the newest sample the caller holds; absent silos get their whole history.</param>
    [Alias("GetCluster")]
    [ResponseTimeout("00:00:05")]
    Task<ClusterSnapshot> GetClusterAsync(IReadOnlyDictionary<string, DateTimeOffset> seen);
}

[StatelessWorker]
[Reentrant]
public sealed class OpsDashboardGrain(IDashboardSiloServiceClient silos, TimeProvider time) : Grain, IOpsDashboardGrain
{
    public async Task<ClusterSnapshot> GetClusterAsync(IReadOnlyDictionary<string, DateTimeOffset> seen)
    {
        var management = GrainFactory.GetGrain<IManagementGrain>(0);
        var hosts = await management.GetDetailedHosts(onlyActive: false);
        var active = hosts.Where(h => h.Status == SiloStatus.Active).Select(h => h.SiloAddress).ToArray();
        var grains = active.Length == 0 ? [] : await management.GetSimpleGrainStatistics(active);
        var views = await Task.WhenAll(hosts.Select(async host =>
        {
            var address = host.SiloAddress.ToParsableString();
            var view = new HostView
            {
                Address = address,
                Name = host.SiloName,
                Role = "silo",
                Status = host.Status.ToString(),
                UserGrains = grains.Where(g => g.SiloAddress.Equals(host.SiloAddress) && IsUserGrain(g.GrainType)).Sum(g => g.ActivationCount),
            };
            if (host.Status != SiloStatus.Active) return view;
            try
            {
                var samples = await silos.On(host.SiloAddress).GetSamplesAsync(seen.GetValueOrDefault(address, DateTimeOffset.MinValue));
                return view with { ModelVersion = samples.ModelVersion, ScorerProvider = samples.ScorerProvider, Samples = samples.Samples };
            }
            catch (Exception e) when (e is TimeoutException or OrleansException or SiloUnavailableException)
            {
                return view with { Error = $"{e.GetType().Name}: {e.Message}" };
            }
        }));
        return new ClusterSnapshot { At = time.GetUtcNow(), Hosts = views.OrderBy(v => v.Address, StringComparer.Ordinal).ToList() };
    }

    /// <summary>The management grain names a grain type by its class (<c>...Users.UserGrain</c>) or, elsewhere, by its grain type name (<c>user</c>).</summary>
    private static bool IsUserGrain(string grainType) => grainType.Contains("UserGrain", StringComparison.Ordinal) || grainType == "user";
}
