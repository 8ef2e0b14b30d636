using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Embeddings;
using Orleans.LlmRec.Recommendation.ColdStart;

namespace Orleans.LlmRec.Text;

/// <summary>The embedding generator <see cref="TextEmbeddingOptions"/> asks for, and the identity a fitted text map records.</summary>
public static class TextEmbeddingGenerators
{
    /// <summary>
    /// The generator the options choose: MiniLM in process, an OpenAI-compatible endpoint, or null for
    /// <see cref="TextEmbeddingProvider.None"/>. Nothing is loaded or called here (MiniLM loads on first use).
    /// </summary>
    public static IEmbeddingGenerator<string, Embedding<float>>? Create(TextEmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Provider switch
        {
            TextEmbeddingProvider.None => null,
            TextEmbeddingProvider.MiniLM => new MiniLmEmbeddingGenerator(options.MaxTextChars),
            TextEmbeddingProvider.OpenAI => CreateOpenAi(options),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Provider, "Unknown text embedding provider."),
        };
    }

    private static IEmbeddingGenerator<string, Embedding<float>> CreateOpenAi(TextEmbeddingOptions options)
    {
        if (options.Endpoint is null || options.Model is null)
        {
            throw new InvalidOperationException("TextEmbeddings:Endpoint and TextEmbeddings:Model are required for the OpenAI provider.");
        }
        // OpenAI's client insists on a credential; local servers ignore whatever is sent.
        var credential = new ApiKeyCredential(options.ResolveApiKey() ?? "unused");
        var client = new EmbeddingClient(options.Model, credential, new OpenAIClientOptions { Endpoint = new Uri(options.Endpoint, UriKind.Absolute) });
        return client.AsIEmbeddingGenerator(options.Dimensions);
    }

    /// <summary>
    /// Who made a vector: provider and model (e.g. <c>minilm/all-MiniLM-L6-v2</c>). A text map fitted on one encoder's
    /// vectors means nothing for another's, so the map records this and the silo compares it before using the map.
    /// </summary>
    public static string IdentityOf(IEmbeddingGenerator<string, Embedding<float>> generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        return TextItemMap.EncoderIdentity(metadata?.ProviderName, metadata?.DefaultModelId);
    }
}
