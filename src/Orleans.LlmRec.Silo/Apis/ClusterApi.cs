using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.Silo.Apis;

/// <summary>A silo as this silo's membership view shows it.</summary>
public sealed record SiloView
{
    /// <summary><c>ip:port@generation</c>: a restarted silo has a new generation.</summary>
    public required string Address { get; init; }
    public required string Name { get; init; }

    /// <summary>Orleans' status: Created, Joining, Active, ShuttingDown, Stopping or Dead.</summary>
    public required string Status { get; init; }
}

/// <summary>Answer of <c>GET /v1/cluster</c>.</summary>
public sealed record ClusterView
{
    /// <summary>The silo that answered (through the API tier, the silo its management grain ran on).</summary>
    public required string Silo { get; init; }

    /// <summary>Grows with every membership change this silo has seen; -1 when an API tier answered (it keeps no view).</summary>
    public required long MembershipVersion { get; init; }
    public required IReadOnlyList<SiloView> Silos { get; init; }
}

public static class ClusterApi
{
    public static IEndpointRouteBuilder MapClusterApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/cluster", GetCluster)
            .WithName("GetCluster")
            .WithSummary("The silos of the cluster, as the answering silo sees them")
            .WithDescription(
                "Each silo keeps its own membership view, updated from the membership table (Redis in production). A silo that " +
                "stopped answering probes is declared Dead; grains it held are re-activated elsewhere on their next call.")
            .WithTags("Operations")
            .RequireAuthorization(ApiScopes.Admin);
        return app;
    }

    private static async Task<ClusterView> GetCluster(IServiceProvider services, IGrainFactory grains)
    {
        if (services.GetService<IClusterMembershipService>() is not { } membership || services.GetService<ILocalSiloDetails>() is not { } local)
        {
            return await GetClusterFromClientAsync(grains);
        }
        var snapshot = membership.CurrentSnapshot;
        return new ClusterView
        {
            Silo = local.SiloAddress.ToParsableString(),
            MembershipVersion = snapshot.Version.Value,
            Silos = Views(snapshot.Members.Values.Select(m => (m.SiloAddress, m.Name, m.Status))),
        };
    }

    /// <summary>
    /// On the API tier (an Orleans client, no membership view of its own): the membership table as a silo's management
    /// grain reads it. <see cref="ClusterView.Silo"/> is then the silo that answered.
    /// </summary>
    private static async Task<ClusterView> GetClusterFromClientAsync(IGrainFactory grains)
    {
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false);
        var serving = await grains.GetGrain<IApiTierGrain>(0).DescribeServingAsync();
        return new ClusterView
        {
            Silo = serving.Silo,
            MembershipVersion = -1,
            Silos = Views(hosts.Select(m => (m.SiloAddress, m.SiloName, m.Status))),
        };
    }

    private static List<SiloView> Views(IEnumerable<(SiloAddress Address, string Name, SiloStatus Status)> silos) => silos
        .Select(m => new SiloView { Address = m.Address.ToParsableString(), Name = m.Name, Status = m.Status.ToString() })
        .OrderBy(v => v.Address, StringComparer.Ordinal)
        .ToList();
}
