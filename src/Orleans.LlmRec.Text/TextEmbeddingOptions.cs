using System.ComponentModel.DataAnnotations;

namespace Orleans.LlmRec.Text;

/// <summary>Which sentence encoder turns item text into vectors.</summary>
public enum TextEmbeddingProvider
{
    /// <summary>No text vectors: new items are placed by their tags only.</summary>
    None,

    /// <summary>all-MiniLM-L6-v2 run in process through ONNX Runtime (384 dimensions; no download, no network).</summary>
    MiniLM,

    /// <summary>An OpenAI-compatible <c>/v1/embeddings</c> endpoint (OpenAI, Ollama, vLLM, llama.cpp's server...).</summary>
    OpenAI,
}

/// <summary>
/// The <c>TextEmbeddings</c> section: the encoder that places new items from their text (docs/text-embeddings.md).
/// The default, MiniLM, costs nothing until the first item is embedded: the model loads on first use.
/// </summary>
public sealed class TextEmbeddingOptions : IValidatableObject
{
    public const string SectionName = "TextEmbeddings";
    public const string DefaultApiKeyEnvironmentVariable = "LLMREC_EMBEDDINGS_API_KEY";

    public TextEmbeddingProvider Provider { get; set; } = TextEmbeddingProvider.MiniLM;

    /// <summary>OpenAI: base address including <c>/v1</c> (e.g. <c>http://localhost:11434/v1</c>).</summary>
    public string? Endpoint { get; set; }

    /// <summary>OpenAI: the embedding model's name (e.g. <c>text-embedding-3-small</c>, <c>nomic-embed-text</c>).</summary>
    public string? Model { get; set; }

    /// <summary>OpenAI: ask the endpoint for vectors of this length (models that support shortening); null = the model's own.</summary>
    [Range(1, 65_536, ErrorMessage = "TextEmbeddings:Dimensions must lie in [1, 65536].")]
    public int? Dimensions { get; set; }

    /// <summary>
    /// OpenAI: name of the environment variable holding the API key. Keys are never read from configuration files, so
    /// they cannot end up in a committed appsettings file; <see cref="ApiKeyFile"/> is the other way in.
    /// </summary>
    public string ApiKeyEnvironmentVariable { get; set; } = DefaultApiKeyEnvironmentVariable;

    /// <summary>OpenAI: a file whose first line is the API key (a mounted secret), read when the variable is unset.</summary>
    public string? ApiKeyFile { get; set; }

    /// <summary>Text longer than this is cut (at a word boundary) before encoding: MiniLM reads at most 256 word pieces anyway.</summary>
    [Range(16, 100_000, ErrorMessage = "TextEmbeddings:MaxTextChars must lie in [16, 100000].")]
    public int MaxTextChars { get; set; } = 1_000;

    /// <summary>
    /// MiniLM: load the model in the background once the host has started, so the first published item does not wait
    /// for it; off by default, so hosts that never publish items (tests, API tiers) never pay for it.
    /// </summary>
    public bool LoadInBackground { get; set; }

    /// <summary>The API key from the environment variable or the key file, or null when neither is set.</summary>
    public string? ResolveApiKey()
    {
        var value = string.IsNullOrWhiteSpace(ApiKeyEnvironmentVariable) ? null : Environment.GetEnvironmentVariable(ApiKeyEnvironmentVariable);
        if (string.IsNullOrWhiteSpace(value) && !string.IsNullOrWhiteSpace(ApiKeyFile) && File.Exists(ApiKeyFile))
        {
            value = File.ReadLines(ApiKeyFile).FirstOrDefault();
        }
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Provider != TextEmbeddingProvider.OpenAI) yield break;
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var endpoint) || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            yield return new ValidationResult(
                $"TextEmbeddings:Endpoint '{Endpoint}' is not an absolute http(s) address (e.g. http://localhost:11434/v1); it is required when TextEmbeddings:Provider is OpenAI.", [nameof(Endpoint)]);
        }
        if (string.IsNullOrWhiteSpace(Model))
        {
            yield return new ValidationResult("TextEmbeddings:Model is required when TextEmbeddings:Provider is OpenAI.", [nameof(Model)]);
        }
        if (!string.IsNullOrWhiteSpace(ApiKeyFile) && !File.Exists(ApiKeyFile))
        {
            yield return new ValidationResult($"TextEmbeddings:ApiKeyFile '{ApiKeyFile}' does not exist.", [nameof(ApiKeyFile)]);
        }
    }
}
