using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Silo.Catalogue;
using Orleans.LlmRec.Silo.Configuration;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Hosting;

/// <summary>
/// The live catalogue on a silo: the catalogue log (Redis when the silo has Redis, so the cluster shares one
/// catalogue version; in memory for a single silo without it), its applier and tailer, new-item scoring, the
/// default placement of new items (<see cref="TagItemVectors"/>; a text model registers its own
/// <see cref="INewItemVectors"/> to replace it), the log's compaction (with Redis), and the item stream when enabled.
/// </summary>
public static class CatalogueRegistration
{
    public static IServiceCollection AddLlmRecLiveCatalogue(this IServiceCollection services, ServiceSettings settings)
    {
        var compacting = false;
        if (string.IsNullOrWhiteSpace(settings.Silo.RedisConnectionString))
        {
            services.AddSingleton<ICatalogueLog, InMemoryCatalogueLog>();
        }
        else
        {
            services.AddSingleton(sp => new RedisCatalogueLog(sp.GetRequiredService<IConnectionMultiplexer>(), settings.Catalogue.LogKey));
            services.AddSingleton<ICatalogueLog>(sp => sp.GetRequiredService<RedisCatalogueLog>());
            services.AddSingleton<CatalogueCompactor>();
            compacting = settings.Catalogue.LogCompactAboveEntries > 0;
        }
        services.TryAddSingleton<TagItemVectors>();
        services.TryAddSingleton<INewItemVectors>(sp => sp.GetRequiredService<TagItemVectors>());
        services.AddSingleton<LiveCatalogue>();
        services.AddSingleton<IItemCatalogueApi, LocalItemCatalogueApi>();
        services.AddSingleton<NewItemScoring>();
        services.AddHostedService<CatalogueLogTailer>();
        if (compacting) services.AddHostedService(sp => sp.GetRequiredService<CatalogueCompactor>());
        if (settings.Catalogue.ItemStreamEnabled && !string.IsNullOrWhiteSpace(settings.Silo.RedisConnectionString))
        {
            services.AddHostedService<ItemStreamConsumer>();
        }
        return services;
    }
}
