using System.Collections.Concurrent;

namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>
/// Turns Orleans' membership updates into work for the stream consumer: when a silo is declared dead, its consumer's
/// pending entries are claimed at once (<see cref="RedisStreamConsumer"/>), rather than after they have been idle for
/// <see cref="EventStreamOptions.ClaimMinIdle"/>. One silo claims, the active one with the lowest address: several
/// claiming with no idle time would only take the entries from each other. A silo that was dead in the first snapshot
/// (it died while no silo ran) is claimed from too.
/// </summary>
public sealed class DeadConsumerWatch(IClusterMembershipService membership, ILocalSiloDetails local)
{
    private readonly ConcurrentQueue<SiloAddress> _dead = new();
    private readonly HashSet<SiloAddress> _seen = [];

    /// <summary>This silo's address, under which its consumer name is registered.</summary>
    public SiloAddress Local => local.SiloAddress;

    /// <summary>Follows membership until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task WatchAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
            {
                Observe(snapshot);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>The next dead silo whose entries this silo is to claim, left in place until <see cref="Done"/>.</summary>
    public bool TryPeek(out SiloAddress silo) => _dead.TryPeek(out silo!);

    public void Done() => _dead.TryDequeue(out _);

    internal void Observe(ClusterMembershipSnapshot snapshot)
    {
        var claimer = snapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress)
            .OrderBy(a => a.ToParsableString(), StringComparer.Ordinal)
            .FirstOrDefault();
        var claiming = local.SiloAddress.Equals(claimer);
        foreach (var member in snapshot.Members.Values)
        {
            if (member.Status != SiloStatus.Dead || member.SiloAddress.Equals(local.SiloAddress) || !_seen.Add(member.SiloAddress)) continue;
            if (claiming) _dead.Enqueue(member.SiloAddress);
        }
    }
}
