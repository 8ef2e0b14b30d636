namespace Orleans.LlmRec.Silo.Cluster;

/// <summary>
/// One log line per silo status change ("silo ... is now Dead"), so an operator reads a failover in a few lines.
/// It stands in for Orleans' own per-call and per-probe warnings during a failover (broken callbacks, refused
/// connections, missed probes, each with a stack trace), which appsettings.json raises to Error: 73 KB and 32
/// stack-trace lines from one survivor for one kill -9 before (bench/RESULTS.md, "Faults").
/// </summary>
public sealed partial class MembershipLog(IClusterMembershipService membership, ILogger<MembershipLog> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var known = new Dictionary<SiloAddress, SiloStatus>();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                foreach (var (address, member) in snapshot.Members)
                {
                    if (known.TryGetValue(address, out var before) && before == member.Status) continue;
                    var first = !known.ContainsKey(address);
                    known[address] = member.Status;
                    if (first && member.Status is SiloStatus.Dead) continue;
                    if (member.Status is SiloStatus.Dead or SiloStatus.ShuttingDown or SiloStatus.Stopping) LogLeft(logger, member.Name, address, member.Status);
                    else LogStatus(logger, member.Name, address, member.Status);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster: silo {Name} ({Address}) is now {Status}.")]
    private static partial void LogLeft(ILogger logger, string name, SiloAddress address, SiloStatus status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster: silo {Name} ({Address}) is now {Status}.")]
    private static partial void LogStatus(ILogger logger, string name, SiloAddress address, SiloStatus status);
}
