using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Llm.Hosting;
using Orleans.LlmRec.Llm.Offline.Augmentation;

namespace Orleans.LlmRec.Llm.Offline.Hosting;

/// <summary>Registers the offline LLM work (the CLI's <c>augment</c>) on top of the LLM layer the silo uses.</summary>
public static class OfflineLlmServiceCollectionExtensions
{
    /// <summary>
    /// <c>LlmServiceCollectionExtensions.AddLlmRecLlm</c> plus, when an endpoint is configured,
    /// <see cref="GraphAugmenter"/> and <see cref="SideTextAugmenter"/> over the same chat pipeline, cache and metrics.
    /// Without an endpoint there is no LLM to ask, so neither is registered.
    /// </summary>
    /// <param name="configuration">The root configuration (the <c>Llm</c> section is read from it).</param>
    public static IServiceCollection AddLlmRecOfflineLlm(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddLlmRecLlm(configuration);
        var enabled = (configuration.GetSection(LlmOptions.SectionName).Get<LlmOptions>() ?? new LlmOptions()).IsEnabled;
        if (!enabled)
        {
            return services;
        }
        var key = LlmServiceCollectionExtensions.ServiceKey;
        services.TryAddSingleton(sp => new GraphAugmenter(
            sp.GetRequiredKeyedService<IChatClient>(key), OptionsOf(sp), sp.GetRequiredService<LlmMetrics>(),
            sp.GetRequiredService<LlmResponseCache>(), sp.GetService<ILogger<GraphAugmenter>>(), sp.GetService<TimeProvider>()));
        services.TryAddSingleton(sp => new SideTextAugmenter(
            sp.GetRequiredKeyedService<IChatClient>(key), OptionsOf(sp), sp.GetRequiredService<LlmMetrics>(),
            sp.GetRequiredService<LlmResponseCache>(), sp.GetService<ILogger<SideTextAugmenter>>(), sp.GetService<TimeProvider>()));
        return services;
    }

    private static LlmOptions OptionsOf(IServiceProvider services) => services.GetRequiredService<IOptions<LlmOptions>>().Value;
}
