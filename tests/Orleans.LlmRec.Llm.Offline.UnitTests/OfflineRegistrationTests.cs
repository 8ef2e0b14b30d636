using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.Llm.Hosting;
using Orleans.LlmRec.Llm.Offline.Augmentation;
using Orleans.LlmRec.Llm.Offline.Hosting;

namespace Orleans.LlmRec.Llm.Offline.UnitTests;

public class OfflineRegistrationTests
{
    private static ServiceProvider Build(string? endpoint, Action<IServiceCollection, IConfiguration> register)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Llm:Endpoint"] = endpoint,
            ["Llm:Model"] = "stub-model",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        register(services, configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    [Fact]
    public async Task The_layer_the_silo_registers_has_no_augmenter_even_with_an_llm()
    {
        await using var services = Build("http://127.0.0.1:9/v1", (s, c) => s.AddLlmRecLlm(c));

        Assert.Null(services.GetService<GraphAugmenter>());
        Assert.Null(services.GetService<SideTextAugmenter>());
    }

    [Fact]
    public async Task The_offline_registration_adds_the_augmenters_over_the_same_llm()
    {
        await using var services = Build("http://127.0.0.1:9/v1", (s, c) => s.AddLlmRecOfflineLlm(c));

        Assert.NotNull(services.GetService<GraphAugmenter>());
        Assert.NotNull(services.GetService<SideTextAugmenter>());
        Assert.True(services.GetRequiredService<ILlmStatus>().IsEnabled);
    }

    [Fact]
    public async Task Without_an_endpoint_there_is_no_llm_to_augment_with()
    {
        await using var services = Build(null, (s, c) => s.AddLlmRecOfflineLlm(c));

        Assert.Null(services.GetService<GraphAugmenter>());
        Assert.Null(services.GetService<SideTextAugmenter>());
        Assert.False(services.GetRequiredService<ILlmStatus>().IsEnabled);
    }
}
