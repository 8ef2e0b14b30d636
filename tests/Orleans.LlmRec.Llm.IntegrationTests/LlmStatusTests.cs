using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Llm.Offline.Augmentation;
using Orleans.LlmRec.Llm.Hosting;
using Orleans.LlmRec.Llm.Profiles;
using Orleans.LlmRec.Llm.Queue;
using Orleans.LlmRec.Llm.Reranking;
using Orleans.LlmRec.Testing.OpenAiStub;

namespace Orleans.LlmRec.Llm.IntegrationTests;

public class LlmStatusTests
{
    [Fact]
    public async Task Without_an_endpoint_the_llm_is_off_the_fallbacks_serve_and_the_start_up_log_says_so()
    {
        await using var host = LlmTestHost.Create(server: null);
        await host.StartAsync();

        var status = host.Get<ILlmStatus>();
        Assert.False(status.IsEnabled);
        Assert.False(status.IsAvailable);
        Assert.Null(status.Endpoint);
        Assert.IsType<TfIdfReranker>(host.Get<IReranker>());
        Assert.IsType<PreferencesProfileWriter>(host.Get<IProfileWriter>());
        Assert.NotNull(host.Get<LlmWorkQueue>());
        Assert.Null(host.Services.GetKeyedService<IChatClient>(LlmServiceCollectionExtensions.ServiceKey));
        Assert.Null(host.Services.GetService<GraphAugmenter>());
        Assert.Contains(host.Logs.Entries, e => e.Message.StartsWith("LLM disabled: no Llm:Endpoint configured", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_an_endpoint_the_llm_is_on_and_the_start_up_log_names_model_and_endpoint()
    {
        await using var server = await ScriptedOpenAiServer.StartAsync();
        await using var host = LlmTestHost.Create(server);
        await host.StartAsync();

        var status = host.Get<ILlmStatus>();
        Assert.True(status.IsEnabled);
        Assert.True(status.IsAvailable);
        Assert.Equal(LlmCircuitState.Closed, status.CircuitState);
        Assert.Equal("stub-model", status.Model);
        Assert.IsType<LlmReranker>(host.Get<IReranker>());
        Assert.IsType<ProfileWriter>(host.Get<IProfileWriter>());
        // The offline augmenters are registered by llmrec augment (AddLlmRecOfflineLlm), never by the silo's wiring.
        Assert.Null(host.Services.GetService<GraphAugmenter>());
        Assert.Contains(host.Logs.Entries, e => e.Message.StartsWith("LLM enabled: model 'stub-model' at http://127.0.0.1:", StringComparison.Ordinal));
        // No key in the (unique, unset) variable: said once, not an error.
        Assert.Contains(host.Logs.Entries, e => e.Message.Contains(host.ApiKeyVariable, StringComparison.Ordinal));
    }

    [Fact]
    public void Invalid_settings_are_refused_when_registered_naming_the_key()
    {
        // Bound and checked once, by AddLlmRecLlm: before any service is built or started.
        var error = Assert.Throws<OptionsValidationException>(() => LlmTestHost.Create(server: null, new Dictionary<string, string?>
        {
            ["Llm:Endpoint"] = "localhost:11434",
        }));

        Assert.Contains("Llm:Endpoint", error.Message, StringComparison.Ordinal);
    }
}
