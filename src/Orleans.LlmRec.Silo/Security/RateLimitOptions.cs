using System.ComponentModel.DataAnnotations;

namespace Orleans.LlmRec.Silo.Security;

/// <summary>
/// Rate limits (configuration section <c>RateLimits</c>; SECURITY.md): token buckets per credential and per user for
/// requests, and per credential and per user for ingested events, counted by event, not by request. On by default whenever access
/// control is (<see cref="SecurityOptions.IsConfigured"/>); off in the open, loopback-only embedded default.
/// </summary>
public sealed class RateLimitOptions
{
    public const string SectionName = "RateLimits";

    /// <summary>Null (the default): on exactly when access control is configured.</summary>
    public bool? Enabled { get; set; }

    /// <summary>Requests a second one credential may make (all users together; events are counted apart).</summary>
    [Range(1, 10_000_000, ErrorMessage = "RateLimits:PerCredentialRequestsPerSecond must lie in [1, 10000000].")]
    public int PerCredentialRequestsPerSecond { get; set; } = 1_000;

    [Range(1, 10_000_000, ErrorMessage = "RateLimits:PerCredentialBurst must lie in [1, 10000000].")]
    public int PerCredentialBurst { get; set; } = 2_000;

    /// <summary>Requests a second about one user (their feed, history, preferences), whoever asks.</summary>
    [Range(1, 10_000_000, ErrorMessage = "RateLimits:PerUserRequestsPerSecond must lie in [1, 10000000].")]
    public int PerUserRequestsPerSecond { get; set; } = 20;

    [Range(1, 10_000_000, ErrorMessage = "RateLimits:PerUserBurst must lie in [1, 10000000].")]
    public int PerUserBurst { get; set; } = 40;

    /// <summary>Events a second one credential may ingest over HTTP; a batch of N events takes N.</summary>
    [Range(1, 100_000_000, ErrorMessage = "RateLimits:EventsPerSecond must lie in [1, 100000000].")]
    public int EventsPerSecond { get; set; } = 5_000;

    /// <summary>The most events one credential may send at once; at least Ingestion:MaxBatchSize.</summary>
    [Range(1, 100_000_000, ErrorMessage = "RateLimits:EventsBurst must lie in [1, 100000000].")]
    public int EventsBurst { get; set; } = 10_000;

    /// <summary>Events a second about one user, whoever sends them (a flood of one user's clicks is refused); HTTP only.</summary>
    [Range(1, 100_000_000, ErrorMessage = "RateLimits:PerUserEventsPerSecond must lie in [1, 100000000].")]
    public int PerUserEventsPerSecond { get; set; } = 100;

    /// <summary>The most events about one user at once.</summary>
    [Range(1, 100_000_000, ErrorMessage = "RateLimits:PerUserEventsBurst must lie in [1, 100000000].")]
    public int PerUserEventsBurst { get; set; } = 1_000;

    public bool IsOn(SecurityOptions security) => Enabled ?? security.IsConfigured;
}
