using Microsoft.Extensions.Options;
using Orleans.LlmRec.Silo.Configuration;

namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>
/// The dashboard's live feed: once a second, the cluster (from <see cref="IOpsDashboardGrain"/>, which runs on a silo)
/// with the samples each host took since the last message; the first message carries each host's whole history. An
/// API tier adds its own samples (its HTTP traffic is measured there, not on the silos).
/// </summary>
public sealed class DashboardStream(IGrainFactory grains, HostSampler local, IOptions<OrleansHostOptions> host, TimeProvider time, ILogger<DashboardStream> logger)
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    private readonly string _localAddress = $"{Environment.MachineName}/{Environment.ProcessId}";

    /// <param name="until">When to end the stream (a login session's expiry); null: when the client leaves.</param>
    public async IAsyncEnumerable<ClusterSnapshot> SnapshotsAsync(
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken, DateTimeOffset? until = null)
    {
        var seen = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        while (!cancellationToken.IsCancellationRequested && !(time.GetUtcNow() >= until))
        {
            var snapshot = await ClusterAsync(seen);
            if (host.Value.Role == HostRole.ApiTier)
            {
                var own = new HostView
                {
                    Address = _localAddress,
                    Name = "api-tier",
                    Role = "api-tier",
                    Status = "Active",
                    Samples = local.SamplesAfter(seen.GetValueOrDefault(_localAddress, DateTimeOffset.MinValue)),
                };
                snapshot = snapshot with { Hosts = [.. snapshot.Hosts, own] };
            }
            foreach (var view in snapshot.Hosts)
            {
                if (view.Samples.Count > 0) seen[view.Address] = view.Samples[^1].At;
            }
            yield return snapshot;
            try
            {
                await Task.Delay(Period, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    private async Task<ClusterSnapshot> ClusterAsync(Dictionary<string, DateTimeOffset> seen)
    {
        try
        {
            return await grains.GetGrain<IOpsDashboardGrain>(0).GetClusterAsync(new Dictionary<string, DateTimeOffset>(seen));
        }
        catch (Exception e) when (e is TimeoutException or OrleansException or SiloUnavailableException)
        {
            // No silo answered: the page shows an empty cluster and keeps its history; the next second tries again.
            logger.LogWarning(e, "The dashboard could not gather the cluster's samples");
            return new ClusterSnapshot { At = time.GetUtcNow(), Hosts = [] };
        }
    }
}
