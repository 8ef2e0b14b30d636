using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Orleans.LlmRec.Silo.Configuration;

public enum ClusteringMode
{
    /// <summary>One silo on this machine (development, tests).</summary>
    Localhost,

    /// <summary>Membership in Redis, so several silos form one cluster.</summary>
    Redis,
}

public enum GrainStorageMode
{
    /// <summary>State lives in silo memory and is lost on restart (development, tests).</summary>
    Memory,
    Redis,
}

/// <summary>What this host is in the cluster.</summary>
public enum HostRole
{
    /// <summary>A silo with the HTTP API co-hosted: holds user grains, the catalogue and a model (the default).</summary>
    Silo,

    /// <summary>
    /// A separate API tier: the same HTTP API, but as an Orleans client that reaches the silos through their gateways.
    /// Loads no catalogue or model, runs no LLM jobs or stream consumer; scales apart from the silos.
    /// </summary>
    ApiTier,
}

/// <summary>How the silo joins a cluster and where grain state lives (configuration section <c>Silo</c>).</summary>
public sealed class OrleansHostOptions : IValidatableObject
{
    // Not "Orleans": Orleans binds that section itself (Orleans:Clustering:ProviderType...).
    public const string SectionName = "Silo";

    public HostRole Role { get; set; } = HostRole.Silo;
    public ClusteringMode Clustering { get; set; } = ClusteringMode.Localhost;
    public GrainStorageMode Storage { get; set; } = GrainStorageMode.Memory;

    /// <summary>StackExchange.Redis configuration string, e.g. <c>localhost:6379</c>; required when clustering or storage is Redis.</summary>
    public string? RedisConnectionString { get; set; }

    [Required(AllowEmptyStrings = false, ErrorMessage = "Silo:ClusterId must be set.")]
    public string ClusterId { get; set; } = "llmrec";

    [Required(AllowEmptyStrings = false, ErrorMessage = "Silo:ServiceId must be set (grain state keys include it).")]
    public string ServiceId { get; set; } = "llmrec";

    [Range(1, 65_535, ErrorMessage = "Silo:SiloPort must lie in [1, 65535].")]
    public int SiloPort { get; set; } = 11_111;

    /// <summary>
    /// The port clients connect to. For <see cref="HostRole.ApiTier"/> with localhost clustering, the gateway port of
    /// the silo on this machine; with Redis clustering clients find the gateways in the membership table.
    /// </summary>
    [Range(1, 65_535, ErrorMessage = "Silo:GatewayPort must lie in [1, 65535].")]
    public int GatewayPort { get; set; } = 30_000;

    /// <summary>The address other silos reach this one at (Redis clustering); unset = this host's address.</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>
    /// Idle grains are deactivated after this long; their state stays in storage. Orleans' collection quantum is
    /// derived from it, so every value in range starts (the hosting code keeps the quantum below it).
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00", ErrorMessage = "Silo:IdleDeactivation must lie in [00:01:00, 1.00:00:00].")]
    public TimeSpan IdleDeactivation { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Addresses of grains Orleans' directory cache keeps (Orleans' default 1,000,000). An entry (~260 B) stays after
    /// its grain deactivated, so with Orleans' default a million users seen leave ~260 MB behind; a miss only costs one
    /// directory lookup, answered by this silo for its own grains. 0 turns the cache off.
    /// </summary>
    [Range(0, 10_000_000, ErrorMessage = "Silo:DirectoryCacheSize must lie in [0, 10000000].")]
    public int DirectoryCacheSize { get; set; } = 100_000;

    /// <summary>
    /// Compact the heap once this many activations have left and no more than a quarter of the peak remain
    /// (Memory/ReclaimPolicy), so RSS comes back after a wave of idle users deactivated; 0 never does.
    /// </summary>
    [Range(0, int.MaxValue, ErrorMessage = "Silo:ReclaimAfterDeactivations must be 0 or more.")]
    public int ReclaimAfterDeactivations { get; set; } = 20_000;

    /// <summary>
    /// In a Kubernetes pod: silo name, address and cluster/service ids from the pod (Orleans' Kubernetes hosting;
    /// infra/k8s), and pods of silos declared dead are deleted. Membership stays in Redis.
    /// </summary>
    public bool KubernetesHosting { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if ((Clustering == ClusteringMode.Redis || Storage == GrainStorageMode.Redis) && string.IsNullOrWhiteSpace(RedisConnectionString))
        {
            yield return new ValidationResult(
                $"Silo:RedisConnectionString is required when Silo:Clustering is {Clustering} and Silo:Storage is {Storage} (e.g. \"localhost:6379\").",
                [nameof(RedisConnectionString)]);
        }
        if (SiloPort == GatewayPort)
        {
            yield return new ValidationResult($"Silo:SiloPort and Silo:GatewayPort must differ (both are {SiloPort}).", [nameof(SiloPort), nameof(GatewayPort)]);
        }
        if (AdvertisedAddress is { } address && !IPAddress.TryParse(address, out _))
        {
            yield return new ValidationResult($"Silo:AdvertisedAddress '{address}' is not an IP address.", [nameof(AdvertisedAddress)]);
        }
    }
}
