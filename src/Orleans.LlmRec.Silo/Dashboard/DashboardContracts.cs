namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>
/// One second of one host, as the dashboard draws it: rates per second over that second (<c>feeds.model</c>,
/// <c>events.applied</c>...), percentiles in milliseconds (<c>feeds.p99Ms</c>) and gauges (<c>llm.queueDepth</c>). The
/// keys are the page's vocabulary (Dashboard/Page/dashboard.js); a missing key means "not measured on this host".
/// </summary>
[GenerateSerializer, Immutable, Alias("llmrec.dashboard.HostSample")]
public sealed record HostSample
{
    [Id(0)] public required DateTimeOffset At { get; init; }
    [Id(1)] public required IReadOnlyDictionary<string, double> Values { get; init; }

    /// <summary>The users this host's grains served most calls to over the last second (only while a dashboard watches).</summary>
    [Id(2)] public IReadOnlyList<UserCalls> Busiest { get; init; } = [];
}

[GenerateSerializer, Immutable, Alias("llmrec.dashboard.UserCalls")]
public sealed record UserCalls(string UserId, int Calls);

/// <summary>A host (silo or API tier) with its recent samples, newest last.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.dashboard.HostView")]
public sealed record HostView
{
    [Id(0)] public required string Address { get; init; }
    [Id(1)] public required string Name { get; init; }

    /// <summary><c>silo</c> or <c>api-tier</c>.</summary>
    [Id(2)] public required string Role { get; init; }

    /// <summary>Orleans' status for a silo (Active, ShuttingDown, Dead...); <c>Active</c> for the answering API tier.</summary>
    [Id(3)] public required string Status { get; init; }
    [Id(4)] public string? ModelVersion { get; init; }

    /// <summary>The scorer's execution provider (CPUExecutionProvider, CUDAExecutionProvider).</summary>
    [Id(5)] public string? ScorerProvider { get; init; }

    /// <summary>Active user grains on this silo, from Orleans' management grain.</summary>
    [Id(6)] public int? UserGrains { get; init; }
    [Id(7)] public IReadOnlyList<HostSample> Samples { get; init; } = [];

    /// <summary>Why a silo listed as active gave no samples.</summary>
    [Id(8)] public string? Error { get; init; }
}

/// <summary>What one message of the dashboard's event stream carries: every host of the cluster.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.dashboard.ClusterSnapshot")]
public sealed record ClusterSnapshot
{
    [Id(0)] public required DateTimeOffset At { get; init; }
    [Id(1)] public required IReadOnlyList<HostView> Hosts { get; init; }
}

/// <summary>A host's identity and latest samples, as its sampler holds them.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.dashboard.HostSamples")]
public sealed record HostSamples
{
    [Id(0)] public required string ModelVersion { get; init; }
    [Id(1)] public required string ScorerProvider { get; init; }
    [Id(2)] public required IReadOnlyList<HostSample> Samples { get; init; }
}
