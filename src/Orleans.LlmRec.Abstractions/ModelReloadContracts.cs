namespace Orleans.LlmRec.Abstractions;

/// <summary>What one silo did when asked to reload its model.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.SiloModelReload")]
public sealed record SiloModelReload
{
    /// <summary>The silo (<c>ip:port@generation</c>).</summary>
    [Id(0)] public required string Silo { get; init; }

    /// <summary>The version it served before the call.</summary>
    [Id(1)] public required string PreviousVersion { get; init; }

    /// <summary>The version it serves now: the new one, or the previous one when it refused or nothing changed.</summary>
    [Id(2)] public required string Version { get; init; }

    [Id(3)] public bool Changed { get; init; }

    /// <summary>Why this silo kept its model (unreadable directory, another item map, refused export, unreachable); null when it did not refuse.</summary>
    [Id(4)] public string? Error { get; init; }
}

/// <summary>A reload of every active silo of the cluster.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.ClusterModelReload")]
public sealed record ClusterModelReload
{
    /// <summary>The version every silo serves after the reload; null while they differ (some refused or were unreachable).</summary>
    [Id(0)] public string? Version { get; init; }

    /// <summary>True when at least one silo swapped its model.</summary>
    [Id(1)] public bool Changed { get; init; }

    [Id(2)] public required IReadOnlyList<SiloModelReload> Silos { get; init; }

    /// <summary>Silos that kept their model because of an error (derived from <see cref="Silos"/>, not sent).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IEnumerable<SiloModelReload> Refusals => Silos.Where(s => s.Error is not null);

    public static ClusterModelReload Of(IReadOnlyList<SiloModelReload> silos)
    {
        var versions = silos.Select(s => s.Version).Distinct(StringComparer.Ordinal).ToList();
        return new ClusterModelReload
        {
            Version = versions.Count == 1 ? versions[0] : null,
            Changed = silos.Any(s => s.Changed),
            Silos = silos.OrderBy(s => s.Silo, StringComparer.Ordinal).ToList(),
        };
    }
}
