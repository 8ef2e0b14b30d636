using Orleans.Runtime.Messaging;

namespace Orleans.LlmRec.Silo.Cluster;

/// <summary>
/// The exceptions that mean "no silo answers right now" (starting, stopping, rebalancing, or an API tier with no gateway):
/// the HTTP API turns them into 503, the Redis Streams consumer retries them for as long as they last.
/// </summary>
internal static class ClusterFailures
{
    public static bool IsUnavailable(Exception e) =>
        e is SiloUnavailableException or OrleansMessageRejectionException or ConnectionFailedException or GatewayTooBusyException;
}
