using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Silo.Serving;
using System.Net;
using Orleans.Configuration;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Silo.Apis;
using Orleans.LlmRec.Silo.Cluster;
using Orleans.LlmRec.Silo.Configuration;
using Orleans.LlmRec.Silo.Memory;
using Orleans.LlmRec.Silo.Redis;
using Orleans.Serialization;
using Orleans.Storage;

namespace Orleans.LlmRec.Silo.Hosting;

public static class OrleansRegistration
{
    /// <summary>
    /// The co-hosted silo: localhost clustering and memory storage by default; Redis membership and Redis grain
    /// storage when configured. Grains never see which. With <c>Silo:Role = ApiTier</c>, an Orleans client instead.
    /// </summary>
    /// <param name="options">The <c>Silo</c> section, bound and checked by <see cref="ServiceSettings"/>.</param>
    public static IHostApplicationBuilder UseLlmRecOrleans(this IHostApplicationBuilder builder, OrleansHostOptions options)
    {
        if (options.Role == HostRole.ApiTier)
        {
            return builder.UseLlmRecOrleansClient(options);
        }
        builder.UseOrleans(silo =>
        {
            if (options.Clustering == ClusteringMode.Redis)
            {
                silo.UseRedisClustering(o => o.ConfigurationOptions = RedisConnection.Configuration(options.RedisConnectionString!));
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = options.ClusterId;
                    o.ServiceId = options.ServiceId;
                });
                if (options.AdvertisedAddress is { } address)
                {
                    silo.ConfigureEndpoints(IPAddress.Parse(address), options.SiloPort, options.GatewayPort);
                }
                else
                {
                    silo.ConfigureEndpoints(options.SiloPort, options.GatewayPort);
                }
            }
            else
            {
                silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
            }

            if (options.KubernetesHosting) silo.UseKubernetesHosting();

            if (options.Storage == GrainStorageMode.Redis)
            {
                // No EntryExpiry: an expiring entry could let a second activation of a user start from empty state.
                // Orleans' binary serializer instead of the default JSON: a user's state is well under half the size,
                // and the [Id] fields keep it version-tolerant (src/Orleans.LlmRec.Silo/README.md, "State size").
                silo.AddRedisGrainStorage(UserGrain.StorageName, storage => storage.Configure<Serializer>((o, serializer) =>
                {
                    o.ConfigurationOptions = RedisConnection.Configuration(options.RedisConnectionString!);
                    o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
                }));
                // A user's activity is appended to, not rewritten (ActivityLogState): its own key next to the grain state.
                silo.Services.AddSingleton<IActivityLogStore>(sp => new RedisActivityLogStore(sp.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>(), options.ServiceId));
            }
            else
            {
                silo.AddMemoryGrainStorage(UserGrain.StorageName);
                silo.Services.AddSingleton<IActivityLogStore, InMemoryActivityLogStore>();
            }
            silo.Services.AddSingleton<ActivityLogs>();

            silo.Configure<GrainCollectionOptions>(o =>
            {
                o.CollectionAge = options.IdleDeactivation;
                o.CollectionQuantum = CollectionQuantumFor(options.IdleDeactivation);
            });
            silo.Configure<GrainDirectoryOptions>(o => o.CacheSize = options.DirectoryCacheSize);
            if (options.ReclaimAfterDeactivations > 0)
            {
                // Memory back after a wave of idle grains left (src/Orleans.LlmRec.Silo/README.md, "Memory per active grain").
                silo.Services.AddSingleton<ActivationCount>();
                silo.Services.AddHostedService(sp => new IdleMemoryReclaimer(sp.GetRequiredService<ActivationCount>(),
                    new ReclaimPolicy(options.ReclaimAfterDeactivations), TimeSpan.FromSeconds(10), sp.GetRequiredService<ILogger<IdleMemoryReclaimer>>()));
            }
            // Failure detection (probes, votes): tuned for a fast failover (Cluster/FailoverDefaults), then Orleans' own
            // options from Silo:Membership, which override them key by key.
            silo.Services.Configure<ClusterMembershipOptions>(FailoverDefaults.Membership);
            silo.Services.Configure<ClusterMembershipOptions>(
                builder.Configuration.GetSection($"{OrleansHostOptions.SectionName}:{ServiceSettings.ClusterMembershipSection}"));

            // Grain calls made for an HTTP request end at the request's budget (Availability:RequestBudget).
            silo.AddOutgoingGrainCallFilter<RequestBudgetCallFilter>();

            // POST /v1/admin/model/reload reaches every silo through a grain service on each.
            silo.AddGrainService<ModelReloadService>();
            silo.Services.AddSingleton<IModelReloadServiceClient, ModelReloadServiceClient>();
            silo.Services.AddSingleton<IClusterModelReloader, ClusterModelReloader>();
            silo.AddOpsDashboard();
            // Grain calls carry the caller's trace (HTTP request → grain), only when traces are exported.
            if (TracingRegistration.IsEnabled(builder.Configuration)) silo.AddActivityPropagation();
        });
        return builder;
    }

    /// <summary>
    /// The API tier: an Orleans client of the cluster named by <c>Silo:ClusterId</c>/<c>ServiceId</c>, through the local
    /// silo's gateway (localhost clustering) or the gateways listed in Redis. Start-up waits for a gateway, retrying,
    /// so the tier can start before the silos.
    /// </summary>
    private static IHostApplicationBuilder UseLlmRecOrleansClient(this IHostApplicationBuilder builder, OrleansHostOptions options)
    {
        builder.UseOrleansClient(client =>
        {
            if (options.Clustering == ClusteringMode.Redis)
            {
                client.UseRedisClustering(o => o.ConfigurationOptions = RedisConnection.Configuration(options.RedisConnectionString!));
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = options.ClusterId;
                    o.ServiceId = options.ServiceId;
                });
            }
            else
            {
                client.UseLocalhostClustering(options.GatewayPort, options.ServiceId, options.ClusterId);
            }
            client.UseConnectionRetryFilter(RetryUntilStopped);
            client.Configure<GatewayOptions>(FailoverDefaults.Gateways);
            client.AddOutgoingGrainCallFilter<RequestBudgetCallFilter>();
            client.AddOpsDashboard();
            if (TracingRegistration.IsEnabled(builder.Configuration)) client.AddActivityPropagation();
        });
        return builder;
    }

    /// <summary>
    /// How often Orleans looks for idle grains. Orleans refuses to start unless the collection age exceeds this quantum
    /// (GrainCollectionOptions' validator), so it is derived from the age: Orleans' default, or half the age when the
    /// age is shorter; every <c>Silo:IdleDeactivation</c> that passes validation then starts.
    /// </summary>
    public static TimeSpan CollectionQuantumFor(TimeSpan idleDeactivation) =>
        idleDeactivation / 2 < GrainCollectionOptions.DEFAULT_COLLECTION_QUANTUM ? idleDeactivation / 2 : GrainCollectionOptions.DEFAULT_COLLECTION_QUANTUM;

    private static async Task<bool> RetryUntilStopped(Exception exception, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
