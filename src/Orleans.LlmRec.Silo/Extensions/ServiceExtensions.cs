using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Scoring;
using Orleans.LlmRec.Silo.ApiTier;
using Orleans.LlmRec.Silo.Apis;
using Orleans.LlmRec.Silo.Configuration;
using Orleans.LlmRec.Silo.Serving;

namespace Orleans.LlmRec.Silo.Extensions;

public static class ServiceExtensions
{
    /// <summary>
    /// Everything the service needs: options, catalogue and model, feed pipeline, ingestion, Orleans, HTTP plumbing;
    /// with <c>Silo:Role = Client</c>, only the HTTP API as an Orleans client of the silos.
    /// </summary>
    public static IHostApplicationBuilder AddLlmRecServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        AddValidatedOptions<FeedOptions>(services, FeedOptions.SectionName);
        AddValidatedOptions<IngestionOptions>(services, IngestionOptions.SectionName);
        AddValidatedOptions<CatalogueOptions>(services, CatalogueOptions.SectionName);
        AddValidatedOptions<ModelOptions>(services, ModelOptions.SectionName);
        AddValidatedOptions<OrleansHostOptions>(services, OrleansHostOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        var role = builder.Configuration.GetValidated<OrleansHostOptions>(OrleansHostOptions.SectionName).Role;
        if (role == HostRole.Client)
        {
            // The API tier: the same endpoints, everything else asked of the silos (ApiTier/GatewayServices.cs).
            services.AddSingleton<IEventIngestor, GatewayEventIngestor>();
            services.AddSingleton<IItemQueries, GatewayItemQueries>();
            services.AddHealthChecks().AddCheck<GatewayHealthCheck>("gateway");
            builder.UseLlmRecOrleans();
        }
        else
        {
            services.AddOptions<ScorerOptions>().BindConfiguration("Scoring").ValidateOnStart();
            services.AddSingleton<IValidateOptions<ScorerOptions>, ScorerOptionsValidator>();

            // One catalogue, one model and one scorer per silo, loaded before the silo starts (ServingStartup is
            // registered ahead of UseOrleans, and hosted services start in registration order).
            services.AddSingleton<SiloModelLoader>();
            services.AddSingleton(sp => sp.GetRequiredService<SiloModelLoader>().Serving);
            services.AddSingleton(sp => sp.GetRequiredService<SiloModel>().Catalogue);
            services.AddHostedService<ServingStartup>();
            services.AddHostedService<ModelWatcher>();
            builder.AddLlmRecLlmLayer();
            services.AddSingleton<FeedPipeline>();
            services.AddSingleton<EventIngestor>();
            services.AddSingleton<IEventIngestor>(sp => sp.GetRequiredService<EventIngestor>());
            services.AddSingleton<LocalItemQueries>();
            services.AddSingleton<IItemQueries>(sp => sp.GetRequiredService<LocalItemQueries>());
            services.AddHealthChecks().AddCheck<ServingHealthCheck>("serving");

            builder.UseLlmRecOrleans();
            builder.AddLlmRecCluster();
        }

        services.AddSingleton<Apis.FeedBodies>();
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
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, Apis.ApiJsonContext.Default);
        });
        services.AddOpenApi();
        builder.AddLlmRecMetrics();
        return builder;
    }

    private static void AddValidatedOptions<T>(IServiceCollection services, string section) where T : class =>
        services.AddOptions<T>().BindConfiguration(section).ValidateDataAnnotations().ValidateOnStart();

    /// <summary>
    /// Binds and validates a section now, for settings needed while the host is still being configured (which
    /// providers Orleans uses); throws with every problem listed.
    /// </summary>
    internal static T GetValidated<T>(this IConfiguration configuration, string section) where T : class, new()
    {
        var options = configuration.GetSection(section).Get<T>() ?? new T();
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            throw new OptionsValidationException(section, typeof(T), results.Select(r => r.ErrorMessage ?? $"{section} is invalid."));
        }
        return options;
    }
}
