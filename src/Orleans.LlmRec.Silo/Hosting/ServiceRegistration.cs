using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Silo.ApiTier;
using Orleans.LlmRec.Silo.Apis;
using Orleans.LlmRec.Silo.Configuration;
using Orleans.LlmRec.Silo.Redis;
using Orleans.LlmRec.Silo.Serving;

namespace Orleans.LlmRec.Silo.Hosting;

/// <summary>
/// The one place the service is put together (Program.cs calls <see cref="AddLlmRecServices"/>, then
/// <see cref="EndpointRegistration.MapLlmRecApis"/>). The other files of this folder are its parts: Orleans, the cluster
/// extras, the LLM layer, metrics, endpoints.
/// </summary>
public static class ServiceRegistration
{
    /// <summary>
    /// Everything the service needs: its settings (every section bound and checked once, <see cref="ServiceSettings"/>),
    /// catalogue and model, feed pipeline, ingestion, Orleans, HTTP plumbing; with <c>Silo:Role = ApiTier</c>, only the
    /// HTTP API as an Orleans client of the silos.
    /// </summary>
    public static IHostApplicationBuilder AddLlmRecServices(this IHostApplicationBuilder builder)
    {
        var settings = ServiceSettings.Bind(builder.Configuration);
        var services = builder.Services;
        AddSettings(services, settings);
        services.TryAddSingleton(TimeProvider.System);
        services.AddLlmRecRedisConnection();
        builder.AddLlmRecAvailability(settings);
        if (settings.Silo.Role == HostRole.ApiTier)
        {
            // The API tier: the same endpoints, everything else asked of the silos (ApiTier/ApiTierServices.cs).
            services.AddSingleton<IEventIngestor, ApiTierEventIngestor>();
            services.AddSingleton<IItemQueries, ApiTierItemQueries>();
            services.AddSingleton<IItemCatalogueApi, ApiTierItemCatalogueApi>();
            services.AddHealthChecks().AddCheck<ApiTierHealthCheck>("gateway");
            builder.UseLlmRecOrleans(settings.Silo);
        }
        else
        {
            // One catalogue, one model and one scorer per silo, loaded before the silo starts (ServingStartup is
            // registered ahead of UseOrleans, and hosted services start in registration order).
            services.AddSingleton<SiloModelLoader>();
            services.AddSingleton(sp => sp.GetRequiredService<SiloModelLoader>().Serving);
            services.AddSingleton(sp => sp.GetRequiredService<SiloModel>().Catalogue);
            services.AddHostedService<ServingStartup>();
            // After ServingStartup: the catalogue log is replayed over the loaded catalogue before the silo serves.
            services.AddLlmRecLiveCatalogue(settings);
            services.AddHostedService<ModelWatcher>();
            builder.AddLlmRecLlmLayer(settings);
            services.AddSingleton<FeedPipeline>();
            services.AddSingleton<Grains.Metrics.FeedFreshnessMetrics>();
            services.AddSingleton<EventIngestor>();
            services.AddSingleton<IEventIngestor>(sp => sp.GetRequiredService<EventIngestor>());
            services.AddSingleton<LocalItemQueries>();
            services.AddSingleton<IItemQueries>(sp => sp.GetRequiredService<LocalItemQueries>());
            services.AddHealthChecks().AddCheck<ServingHealthCheck>("serving");

            builder.UseLlmRecOrleans(settings.Silo);
            builder.AddLlmRecCluster(settings);
            // After the catalogue's INewItemVectors (tags), which the text placement wraps as its fallback.
            builder.AddLlmRecTextEmbeddings(settings);
        }

        // Only a silo's grains hand the same feed object out again; an API tier's feeds are copies that never would.
        services.AddSingleton(sp => new FeedBodies(sp.GetRequiredService<IOptions<JsonOptions>>(), keepBodies: settings.Silo.Role == HostRole.Silo));
        // Plain reads of a cached feed answered by the silo holding the user's grain, without a grain call.
        services.AddSingleton(sp =>
        {
            if (settings.Silo.Role != HostRole.Silo) return SiloLocalFeeds.Off;
            SiloModel? model = null;
            return new SiloLocalFeeds(sp.GetRequiredService<TimeProvider>(), settings.Feed.LocalReadRefresh, () =>
            {
                model ??= sp.GetRequiredService<SiloModel>();
                return (model.Current.Version, model.Catalogue.Generation);
            });
        });
        services.AddSingleton<CachedFeedReads.Answered>();
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(RequestLimits.RaiseKestrelLimits);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ApiExceptionHandler.ExplainBareStatus);
        services.AddExceptionHandler<ApiExceptionHandler>();
        // Binding failures (k=abc, malformed JSON bodies) become exceptions the handler turns into 400 ProblemDetails
        // naming the parameter, instead of bare 400s.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
            // {"userId":"a","userId":"b"} is ambiguous: refused (400 naming the field), not "last one wins".
            o.SerializerOptions.AllowDuplicateProperties = false;
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
        });
        services.AddOpenApi();
        builder.AddLlmRecMetrics();
        builder.AddLlmRecAccessControl(settings);
        builder.AddOpsDashboardSampling();
        builder.AddLlmRecTracing();
        return builder;
    }

    /// <summary>
    /// Each section as its <c>IOptions&lt;T&gt;</c>: the instances <see cref="ServiceSettings"/> bound and checked, so
    /// what the host was wired with and what its services read are the same values.
    /// </summary>
    private static void AddSettings(IServiceCollection services, ServiceSettings settings)
    {
        services.AddSingleton(Options.Create(settings.Silo));
        services.AddSingleton(Options.Create(settings.Catalogue));
        services.AddSingleton(Options.Create(settings.Model));
        services.AddSingleton(Options.Create(settings.Scoring));
        services.AddSingleton(Options.Create(settings.Feed));
        services.AddSingleton(Options.Create(settings.ItemIndex));
        services.AddSingleton(Options.Create(settings.Ingestion));
        services.AddSingleton(Options.Create(settings.EventStream));
        services.AddSingleton(Options.Create(settings.Security));
        services.AddSingleton(Options.Create(settings.RateLimits));
        services.AddSingleton(Options.Create(settings.Redis));
        // Llm: registered with the LLM layer (LlmRegistration), which is built from the same instance.
    }
}
