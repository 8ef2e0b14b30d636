using Orleans.Runtime.Messaging;

namespace Orleans.LlmRec.Silo.Cluster;

/// <summary>
/// The exceptions that mean "no silo answers right now" (starting, stopping, rebalancing, or an API tier with no gateway):
/// the HTTP API turns them into 503, the Redis Streams consumer retries them for as long as they last.
/// </summary>
internal static class ClusterFailures
{
    /// <summary>
    /// Phrases of Orleans' grain directory (<c>LocalGrainDirectory</c>, its partition) when a membership change is still
    /// being taken in: a lookup that maps to a silo this silo does not yet (or no longer) count as active ("... is not
    /// stable to perform the lookup ... Retry later."), a forward chain between two silos whose views differ ("...
    /// because hop limit is reached"), a registration handed to a silo membership has just buried ("... on invalid
    /// silo: ..."). Orleans throws them as a bare <see cref="OrleansException"/>, so only the wording tells them from its
    /// terminal errors; <c>OutagesTests</c> checks each phrase is still a literal of the shipped Orleans.Runtime
    /// (through <see cref="Outages.DirectoryInFluxPhrases"/>).
    /// </summary>
    public static readonly string[] DirectoryInFluxPhrases = ["is not stable to perform the lookup", "hop limit is reached", "on invalid silo"];

    public static bool IsUnavailable(Exception e) =>
        e is SiloUnavailableException or OrleansMessageRejectionException or ConnectionFailedException or GatewayTooBusyException
        || IsDirectoryInFlux(e);

    /// <summary>The exact type only: subclasses of <see cref="OrleansException"/> say what they are by their type.</summary>
    private static bool IsDirectoryInFlux(Exception e) =>
        e.GetType() == typeof(OrleansException) && DirectoryInFluxPhrases.Any(p => e.Message.Contains(p, StringComparison.Ordinal));
}
