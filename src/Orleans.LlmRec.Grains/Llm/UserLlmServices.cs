using Microsoft.Extensions.Options;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Llm.Profiles;
using Orleans.LlmRec.Llm.Queue;

namespace Orleans.LlmRec.Grains.Llm;

/// <summary>
/// What a user grain needs of the LLM layer, one per silo: the silo's single <see cref="LlmWorkQueue"/> (jobs leave
/// the grain's turn there, and their results come back as grain calls), the refresh policy, the settings, and whether
/// the LLM is on and reachable. Nothing here is awaited on the feed path.
/// </summary>
public sealed class UserLlmServices(
    LlmWorkQueue queue,
    ProfileRefreshPolicy policy,
    IOptions<LlmOptions> options,
    ILlmStatus status,
    TimeProvider time)
{
    public LlmWorkQueue Queue { get; } = queue;

    public ProfileRefreshPolicy Policy { get; } = policy;

    public LlmOptions Options { get; } = options.Value;

    public ILlmStatus Status { get; } = status;

    public TimeProvider Time { get; } = time;

    /// <summary>True when an endpoint is configured; false means TF-IDF re-ranking and preference-text profiles.</summary>
    public bool Enabled => Status.IsEnabled;

    /// <summary>How long a re-rank job may be in flight before the grain stops waiting for it and may ask again.</summary>
    public TimeSpan RerankPatience => Options.Resilience.TotalTimeout * 2;
}
