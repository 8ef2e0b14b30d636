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
    /// <summary>The silo that answered.</summary>
    public required string Silo { get; init; }

    /// <summary>Grows with every membership change this silo has seen.</summary>
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
            .WithTags("Operations");
        return app;
    }

    private static ClusterView GetCluster(IClusterMembershipService membership, ILocalSiloDetails local)
    {
        var snapshot = membership.CurrentSnapshot;
        return new ClusterView
        {
            Silo = local.SiloAddress.ToParsableString(),
            MembershipVersion = snapshot.Version.Value,
            Silos = snapshot.Members.Values
                .OrderBy(m => m.SiloAddress.ToParsableString(), StringComparer.Ordinal)
                .Select(m => new SiloView { Address = m.SiloAddress.ToParsableString(), Name = m.Name, Status = m.Status.ToString() })
                .ToList(),
        };
    }
}
