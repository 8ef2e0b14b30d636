using System.Runtime;

namespace Orleans.LlmRec.Silo.Memory;

/// <summary>
/// Gives memory back once a large share of the silo's grains were deactivated (<see cref="ReclaimPolicy"/>). Without
/// it the process keeps what the peak needed: the dead grains sit scattered in older generations, the background
/// collections that find them sweep rather than compact, and a region with one live object cannot be returned, so
/// RSS stays near the peak (100,000 users: baseline 568 MB, 1,195 MB active, 1,012 MB after all left and a full GC,
/// with 175 MB live). One aggressive collection (blocking, compacting, decommitting) returns it.
/// </summary>
public sealed class IdleMemoryReclaimer(ActivationCount activations, ReclaimPolicy policy, TimeSpan interval, ILogger<IdleMemoryReclaimer> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var active = activations.Active;
            var peak = Math.Max(policy.Peak, active);
            if (!policy.ShouldReclaim(active)) continue;
            var before = Environment.WorkingSet;
            GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            logger.LogInformation(
                "Activations fell from {Peak} to {Active}: compacted the heap, working set {Before} MB -> {After} MB, live {Live} MB",
                peak, active, before >> 20, Environment.WorkingSet >> 20, GC.GetTotalMemory(false) >> 20);
        }
    }
}
