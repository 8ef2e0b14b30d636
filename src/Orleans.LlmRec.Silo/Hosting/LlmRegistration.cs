using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Llm;
using Orleans.LlmRec.Llm.Hosting;
using Orleans.LlmRec.Silo.Configuration;
using Orleans.LlmRec.Silo.Llm;

namespace Orleans.LlmRec.Silo.Hosting;

public static class LlmRegistration
{
    /// <summary>
    /// The LLM layer from the <c>Llm</c> section (docs/llm.md): one work queue, chat pipeline and cache per silo, the
    /// grains' view of it (<see cref="UserLlmServices"/>), and the re-rank stage that fuses stored LLM scores
    /// (<see cref="RerankStage"/>; TF-IDF inline when no <c>Llm:Endpoint</c> is set, which the start-up log says).
    /// </summary>
    public static IHostApplicationBuilder AddLlmRecLlmLayer(this IHostApplicationBuilder builder, ServiceSettings settings)
    {
        var services = builder.Services;
        services.AddLlmRecLlm(settings.Llm);
        services.TryAddSingleton<UserLlmServices>();
        services.TryAddSingleton<RerankStage>();
        services.AddHostedService<LlmQueueShutdown>();
        services.AddHealthChecks().AddCheck<LlmHealthCheck>("llm");
        return builder;
    }
}
