using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenAI;
using OpenAI.Chat;
using Orleans.LlmRec.Llm.Profiles;
using Orleans.LlmRec.Llm.Queue;
using Orleans.LlmRec.Llm.Reranking;
using Polly;

namespace Orleans.LlmRec.Llm.Hosting;

/// <summary>Registers the LLM layer. Grains use <see cref="IProfileWriter"/>, <see cref="IReranker"/> and <see cref="LlmWorkQueue"/>.</summary>
public static class LlmServiceCollectionExtensions
{
    /// <summary>The service key of the layer's <see cref="IChatClient"/> and <see cref="IDistributedCache"/> (keyed, so they never clash with a host's own).</summary>
    public const string ServiceKey = "Orleans.LlmRec.Llm";

    /// <summary>The named <see cref="HttpClient"/> the OpenAI client sends through; it carries the resilience handler.</summary>
    public const string HttpClientName = "Orleans.LlmRec.Llm";

    /// <summary>
    /// Binds the <c>Llm</c> section of <paramref name="configuration"/> once and checks it (DataAnnotations and the
    /// rules across keys, <see cref="LlmOptions.Validate"/>); throws <see cref="OptionsValidationException"/> listing
    /// every bad key. For hosts that register the section themselves; the silo binds it with its other sections.
    /// </summary>
    public static LlmOptions BindLlmOptions(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(LlmOptions.SectionName).Get<LlmOptions>() ?? new LlmOptions();
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        if (!System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, validateAllProperties: true))
        {
            throw new OptionsValidationException(LlmOptions.SectionName, typeof(LlmOptions), results.Select(r => r.ErrorMessage ?? $"{LlmOptions.SectionName} is invalid."));
        }
        return options;
    }

    /// <summary>
    /// Registers <paramref name="options"/> (already bound and checked) as the layer's <see cref="LlmOptions"/> and,
    /// when an endpoint is set, builds one chat pipeline, outermost first: response cache (memory or Redis) →
    /// OpenTelemetry → logging → OpenAI client over an <see cref="HttpClient"/> with total timeout → retries (429, 5xx,
    /// timeouts; Retry-After honoured) → circuit breaker → attempt timeout. Always registers <see cref="ILlmStatus"/>,
    /// <see cref="LlmMetrics"/> and a start-up log line that says whether the LLM is on.
    /// </summary>
    public static IServiceCollection AddLlmRecChatClient(this IServiceCollection services, LlmOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        // Twice would add a second resilience handler to the HTTP client (retries of retries): the first call wins.
        if (services.Any(d => d.ServiceType == typeof(LlmCircuitBreakerState)))
        {
            return services;
        }
        services.AddSingleton(Options.Create(options));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<LlmCircuitBreakerState>();
        services.TryAddSingleton(sp =>
        {
            var metrics = new LlmMetrics(sp.GetService<IMeterFactory>());
            var circuit = sp.GetRequiredService<LlmCircuitBreakerState>();
            metrics.ObserveCircuit(() => circuit.State);
            return metrics;
        });
        services.TryAddSingleton<ILlmStatus>(sp => new LlmStatus(OptionsOf(sp), sp.GetRequiredService<LlmCircuitBreakerState>()));
        services.AddHostedService<LlmStartupReporter>();

        var cacheEnabled = options.IsEnabled && options.Cache.Enabled;
        services.TryAddSingleton(sp => new LlmResponseCache(cacheEnabled ? sp.GetRequiredKeyedService<IDistributedCache>(ServiceKey) : null));
        if (!options.IsEnabled)
        {
            return services;
        }

        services.AddHttpClient(HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .AddResilienceHandler("llm", (pipeline, context) => ConfigureResilience(pipeline, context.ServiceProvider));

        if (cacheEnabled)
        {
            services.TryAddKeyedSingleton(ServiceKey, (sp, _) => CreateCache(OptionsOf(sp).Cache));
        }

        var builder = services.AddKeyedChatClient(ServiceKey, CreateOpenAiChatClient);
        if (cacheEnabled)
        {
            builder.Use((inner, sp) => new LlmResponseCachingChatClient(
                inner,
                sp.GetRequiredKeyedService<IDistributedCache>(ServiceKey),
                OptionsOf(sp).Cache.TimeToLive,
                sp.GetRequiredService<LlmMetrics>())
            {
                // A new model or endpoint must not be answered from the old one's cache (Redis outlives deployments).
                CacheKeyAdditionalValues = [OptionsOf(sp).Endpoint!, OptionsOf(sp).Model],
            });
        }
        builder
            .Use((inner, sp) => inner.AsBuilder().UseOpenTelemetry(sp.GetService<ILoggerFactory>()).Build(sp))
            .Use((inner, sp) => inner.AsBuilder().UseLogging(sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).Build(sp));
        return services;
    }

    /// <summary>
    /// <see cref="AddLlmRecChatClient(IServiceCollection, LlmOptions)"/> plus what grains and the CLI use: <see cref="IProfileWriter"/> and
    /// <see cref="IReranker"/> (the LLM ones when enabled; otherwise <see cref="PreferencesProfileWriter"/> and
    /// <see cref="TfIdfReranker"/>), <see cref="TfIdfReranker"/> itself, <see cref="LlmWorkQueue"/>,
    /// and <see cref="ProfileRefreshPolicy"/>. The offline augmenters are registered by Orleans.LlmRec.Llm.Offline.
    /// </summary>
    public static IServiceCollection AddLlmRecLlm(this IServiceCollection services, IConfiguration configuration) =>
        services.AddLlmRecLlm(BindLlmOptions(configuration));

    /// <summary>The same as <see cref="AddLlmRecLlm(IServiceCollection, IConfiguration)"/>, with options already bound and checked.</summary>
    public static IServiceCollection AddLlmRecLlm(this IServiceCollection services, LlmOptions options)
    {
        services.AddLlmRecChatClient(options);
        var enabled = options.IsEnabled;

        services.TryAddSingleton(sp => new TfIdfReranker(OptionsOf(sp)));
        services.TryAddSingleton(sp => new ProfileRefreshPolicy(OptionsOf(sp)));
        if (enabled)
        {
            services.TryAddSingleton<IProfileWriter>(sp => new ProfileWriter(
                sp.GetRequiredKeyedService<IChatClient>(ServiceKey), OptionsOf(sp), sp.GetRequiredService<LlmMetrics>(),
                sp.GetRequiredService<LlmResponseCache>(), sp.GetService<ILogger<ProfileWriter>>(), sp.GetService<TimeProvider>()));
            services.TryAddSingleton<IReranker>(sp => new LlmReranker(
                sp.GetRequiredKeyedService<IChatClient>(ServiceKey), OptionsOf(sp), sp.GetRequiredService<LlmMetrics>(),
                sp.GetRequiredService<LlmResponseCache>(), sp.GetService<ILogger<LlmReranker>>(), sp.GetService<TimeProvider>()));
        }
        else
        {
            services.TryAddSingleton<IProfileWriter>(sp => new PreferencesProfileWriter(OptionsOf(sp)));
            services.TryAddSingleton<IReranker>(sp => sp.GetRequiredService<TfIdfReranker>());
        }
        services.TryAddSingleton(sp => new LlmWorkQueue(
            sp.GetRequiredService<IProfileWriter>(), sp.GetRequiredService<IReranker>(), OptionsOf(sp),
            sp.GetRequiredService<LlmMetrics>(), sp.GetService<ILogger<LlmWorkQueue>>(), sp.GetService<TimeProvider>()));
        return services;
    }

    private static LlmOptions OptionsOf(IServiceProvider services) => services.GetRequiredService<IOptions<LlmOptions>>().Value;

    private static IChatClient CreateOpenAiChatClient(IServiceProvider services)
    {
        var options = OptionsOf(services);
        var httpClient = services.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName);
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = new Uri(options.Endpoint!, UriKind.Absolute),
            Transport = new HttpClientPipelineTransport(httpClient),
            // Retries live in the HttpClient's resilience handler, where the circuit breaker can see every attempt;
            // the SDK's own retries would multiply them and hide failures from the breaker.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            // The handler's total timeout governs; this only has to be longer so it never fires first.
            NetworkTimeout = options.Resilience.TotalTimeout + TimeSpan.FromSeconds(5),
        };
        // OpenAI's client insists on a credential; local servers ignore whatever is sent.
        var credential = new ApiKeyCredential(options.ResolveApiKey() ?? "unused");
        return new ChatClient(options.Model, credential, clientOptions).AsIChatClient();
    }

    private static void ConfigureResilience(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, IServiceProvider services)
    {
        var options = OptionsOf(services).Resilience;
        var circuit = services.GetRequiredService<LlmCircuitBreakerState>();
        var metrics = services.GetRequiredService<LlmMetrics>();
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger(typeof(LlmCircuitBreakerState).FullName!)
            ?? NullLogger.Instance;

        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "llm-total-timeout", Timeout = options.TotalTimeout });
        if (options.MaxRetries > 0)
        {
            pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                Name = "llm-retry",
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.RetryBaseDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldRetryAfterHeader = true,
            });
        }
        pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            Name = "llm-circuit-breaker",
            FailureRatio = options.CircuitFailureRatio,
            MinimumThroughput = options.CircuitMinimumThroughput,
            SamplingDuration = options.CircuitSamplingDuration,
            BreakDuration = options.CircuitBreakDuration,
            StateProvider = circuit.Provider,
            OnOpened = args =>
            {
                metrics.RecordCircuitTransition(LlmCircuitState.Open);
                Log.CircuitOpened(logger, args.BreakDuration);
                return default;
            },
            OnHalfOpened = _ =>
            {
                metrics.RecordCircuitTransition(LlmCircuitState.HalfOpen);
                Log.CircuitHalfOpened(logger);
                return default;
            },
            OnClosed = _ =>
            {
                metrics.RecordCircuitTransition(LlmCircuitState.Closed);
                Log.CircuitClosed(logger);
                return default;
            },
        });
        pipeline.AddTimeout(new HttpTimeoutStrategyOptions { Name = "llm-attempt-timeout", Timeout = options.AttemptTimeout });
    }

    private static IDistributedCache CreateCache(LlmCacheOptions options) => options.Kind switch
    {
        LlmCacheKind.Redis => new RedisCache(Options.Create(new RedisCacheOptions
        {
            Configuration = options.RedisConnectionString,
            InstanceName = options.RedisInstanceName,
        })),
        _ => new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions { SizeLimit = options.MemorySizeLimitBytes })),
    };
}
