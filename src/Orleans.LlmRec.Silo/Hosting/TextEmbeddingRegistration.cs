using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Silo.Configuration;
using Orleans.LlmRec.Text;

namespace Orleans.LlmRec.Silo.Hosting;

public static class TextEmbeddingRegistration
{
    /// <summary>
    /// The <c>TextEmbeddings</c> section (docs/text-embeddings.md): one sentence encoder per silo as
    /// <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/> (MiniLM by default, loaded on first use or, with
    /// <c>LoadInBackground</c>, after start), and the text placement of new items, <see cref="TextNewItemVectors"/>,
    /// in place of the <see cref="INewItemVectors"/> registered before (the tags placement), which it keeps as its
    /// fallback for models without a text map. Call it after the catalogue's registration; with
    /// <c>Provider = None</c>, or no placement registered before, it leaves <see cref="INewItemVectors"/> as it is.
    /// </summary>
    public static IHostApplicationBuilder AddLlmRecTextEmbeddings(this IHostApplicationBuilder builder, ServiceSettings settings)
    {
        var options = settings.TextEmbeddings;
        var services = builder.Services;
        services.AddSingleton(Options.Create(options));
        if (options.Provider == TextEmbeddingProvider.None) return builder;
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(_ => TextEmbeddingGenerators.Create(options)!);
        if (options.LoadInBackground) services.AddHostedService<TextModelWarmUp>();

        var tags = services.LastOrDefault(d => d.ServiceType == typeof(INewItemVectors) && !d.IsKeyedService);
        if (tags is null) return builder;
        services.Remove(tags);
        services.AddSingleton<INewItemVectors>(sp => new TextNewItemVectors(
            sp.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>(),
            (INewItemVectors)Resolve(sp, tags),
            sp.GetRequiredService<ILogger<TextNewItemVectors>>()));
        return builder;
    }

    /// <summary>The service <paramref name="descriptor"/> registered, built as the container would have built it.</summary>
    private static object Resolve(IServiceProvider services, ServiceDescriptor descriptor) =>
        descriptor.ImplementationInstance
        ?? descriptor.ImplementationFactory?.Invoke(services)
        ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!);
}
