using Orleans.Concurrency;
using Orleans.Runtime.Services;
using Orleans.Services;

namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>One per silo (an Orleans grain service): hands out that silo's own dashboard samples.</summary>
[Alias("llmrec.IDashboardSiloService")]
public interface IDashboardSiloService : IGrainService
{
    [Alias("GetSamples")]
    [ResponseTimeout("00:00:02")]
    Task<HostSamples> GetSamplesAsync(DateTimeOffset after);
}

[Reentrant]
public sealed class DashboardSiloService(GrainId id, Orleans.Runtime.Silo silo, ILoggerFactory loggers, HostSampler sampler, DashboardWatch watch)
    : GrainService(id, silo, loggers), IDashboardSiloService
{
    public Task<HostSamples> GetSamplesAsync(DateTimeOffset after)
    {
        watch.MarkWatched();
        return Task.FromResult(new HostSamples
        {
            ModelVersion = sampler.ModelVersion,
            ScorerProvider = sampler.ScorerProvider,
            Samples = sampler.SamplesAfter(after),
        });
    }
}

/// <summary>Addresses the <see cref="IDashboardSiloService"/> of a given silo.</summary>
public interface IDashboardSiloServiceClient : IGrainServiceClient<IDashboardSiloService>
{
    IDashboardSiloService On(SiloAddress silo);
}

public sealed class DashboardSiloServiceClient(IServiceProvider services) : GrainServiceClient<IDashboardSiloService>(services), IDashboardSiloServiceClient
{
    public IDashboardSiloService On(SiloAddress silo) => GetGrainService(silo);
}
