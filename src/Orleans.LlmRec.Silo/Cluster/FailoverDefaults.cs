using Orleans.Configuration;

namespace Orleans.LlmRec.Silo.Cluster;

/// <summary>
/// Failure detection tuned for a dead silo's users to be served again within about 5 s (Orleans' defaults took
/// 7–15 s: 5 s probes, 3 misses, a 60 s table refresh). Each value can still be set under <c>Silo:Membership</c>
/// (Orleans' own <see cref="ClusterMembershipOptions"/> names); src/Orleans.LlmRec.Silo/README.md, "Failover",
/// explains each choice.
/// </summary>
public static class FailoverDefaults
{
    /// <summary>A silo is probed every second; a probe unanswered within a second is missed.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Two missed probes in a row make a silo suspect; with two silos one vote declares it dead (~2 s).</summary>
    public const int NumMissedProbesLimit = 2;

    /// <summary>Silos read the membership table this often (gossip usually tells them sooner).</summary>
    public static readonly TimeSpan TableRefreshTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Each silo writes its heartbeat to the table this often (Orleans' default is 5 minutes).</summary>
    public static readonly TimeSpan IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);

    /// <summary>An API tier re-reads the gateway list this often (Orleans' default is a minute).</summary>
    public static readonly TimeSpan GatewayListRefreshPeriod = TimeSpan.FromSeconds(5);

    public static void Membership(ClusterMembershipOptions o)
    {
        o.ProbeTimeout = ProbeTimeout;
        o.NumMissedProbesLimit = NumMissedProbesLimit;
        o.TableRefreshTimeout = TableRefreshTimeout;
        o.IAmAliveTablePublishTimeout = IAmAliveTablePublishTimeout;
    }

    public static void Gateways(GatewayOptions o) => o.GatewayListRefreshPeriod = GatewayListRefreshPeriod;
}
