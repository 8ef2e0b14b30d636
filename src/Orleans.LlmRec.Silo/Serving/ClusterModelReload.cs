using Orleans.Concurrency;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Serving;
using Orleans.Runtime.Services;
using Orleans.Services;

namespace Orleans.LlmRec.Silo.Serving;

/// <summary>One per silo (an Orleans grain service): reloads that silo's model when asked from any silo.</summary>
[Alias("llmrec.IModelReloadService")]
public interface IModelReloadService : IGrainService
{
    [Alias("Reload")]
    [ResponseTimeout(UserGrainTimeouts.ModelReload)]
    Task<SiloModelReload> ReloadAsync();
}

/// <summary>
/// Runs <see cref="SiloModelLoader.ReloadAsync"/> on its silo and reports the outcome instead of throwing, so one silo's
/// refusal does not hide what the others did. Reentrant: the loader itself allows one reload at a time.
/// </summary>
[Reentrant]
public sealed class ModelReloadService(GrainId id, Orleans.Runtime.Silo silo, ILoggerFactory loggers, SiloModelLoader loader, ILocalSiloDetails local)
    : GrainService(id, silo, loggers), IModelReloadService
{
    public async Task<SiloModelReload> ReloadAsync()
    {
        var name = local.SiloAddress.ToParsableString();
        try
        {
            var reload = await loader.ReloadAsync();
            return new SiloModelReload { Silo = name, PreviousVersion = reload.PreviousVersion, Version = reload.Version, Changed = reload.Changed };
        }
        catch (Exception e)
        {
            // Whatever went wrong, this silo answered and kept its model: say so, with the reason.
            var current = loader.Serving.Current.Version;
            var reason = e is ModelReloadException refused ? refused.Reason : $"{e.GetType().Name}: {e.Message}";
            return new SiloModelReload { Silo = name, PreviousVersion = current, Version = current, Error = reason };
        }
    }
}

/// <summary>Addresses the <see cref="IModelReloadService"/> of a given silo.</summary>
public interface IModelReloadServiceClient : IGrainServiceClient<IModelReloadService>
{
    IModelReloadService On(SiloAddress silo);
}

public sealed class ModelReloadServiceClient(IServiceProvider services) : GrainServiceClient<IModelReloadService>(services), IModelReloadServiceClient
{
    public IModelReloadService On(SiloAddress silo) => GetGrainService(silo);
}

/// <summary>
/// Asks every active silo (from the membership table, through the management grain) to reload, all at once, and
/// gathers what each did. A silo that does not answer is reported with the reason, not left out.
/// </summary>
public sealed class ClusterModelReloader(IGrainFactory grains, IModelReloadServiceClient services) : IClusterModelReloader
{
    public async Task<ClusterModelReload> ReloadEverywhereAsync(CancellationToken cancellationToken = default)
    {
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
        var outcomes = await Task.WhenAll(hosts.Keys.Select(async silo =>
        {
            try
            {
                return await services.On(silo).ReloadAsync().WaitAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return new SiloModelReload
                {
                    Silo = silo.ToParsableString(),
                    PreviousVersion = "unknown",
                    Version = "unknown",
                    Error = $"the silo did not answer: {e.GetType().Name}: {e.Message}",
                };
            }
        }));
        return ClusterModelReload.Of(outcomes);
    }
}
