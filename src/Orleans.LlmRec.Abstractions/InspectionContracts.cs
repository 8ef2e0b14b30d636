namespace Orleans.LlmRec.Abstractions;

/// <summary>
/// One user as an operator sees them in the dashboard's inspector (<c>IUserGrain.InspectAsync</c>): what the user view
/// shows, plus where the grain lives and what the LLM last answered. Read-only: inspecting changes nothing.
/// </summary>
[GenerateSerializer, Immutable, Alias("llmrec.UserInspection")]
public sealed record UserInspection
{
    [Id(0)] public required UserView User { get; init; }

    /// <summary>The silo holding the user's grain activation (<c>ip:port@generation</c>).</summary>
    [Id(1)] public required string Silo { get; init; }

    /// <summary>The version of the stored profile (0 before the first).</summary>
    [Id(2)] public long ProfileVersion { get; init; }

    /// <summary>Profile-relevant changes counted since the last profile was asked for.</summary>
    [Id(3)] public int ProfilePendingChanges { get; init; }

    /// <summary>When the next profile was last asked of the LLM; null when none is outstanding.</summary>
    [Id(4)] public DateTimeOffset? ProfileRequestedAt { get; init; }

    /// <summary>The version of the last re-rank answer stored.</summary>
    [Id(5)] public long RerankVersion { get; init; }

    /// <summary>Whether those scores were asked with the current profile and preferences (the feed fuses them only then).</summary>
    [Id(6)] public bool RerankServesCurrentContext { get; init; }

    /// <summary>The LLM's stored re-rank scores, best first (at most <see cref="MaxRerankScores"/>).</summary>
    [Id(7)] public IReadOnlyList<ItemScore> RerankScores { get; init; } = [];

    public const int MaxRerankScores = 20;
}
