using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.AI;

namespace Orleans.LlmRec.Text.UnitTests;

public sealed class TextEmbeddingOptionsTests
{
    private static List<ValidationResult> Check(TextEmbeddingOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }

    [Fact]
    public void The_default_is_MiniLM_and_needs_nothing_else()
    {
        var options = new TextEmbeddingOptions();

        Assert.Empty(Check(options));
        using var encoder = TextEmbeddingGenerators.Create(options);
        var miniLm = Assert.IsType<MiniLmEmbeddingGenerator>(encoder);
        // Creating it loads nothing: a silo that never publishes an item never pays for the model.
        Assert.False(miniLm.IsLoaded);
    }

    [Fact]
    public void None_gives_no_encoder()
    {
        Assert.Null(TextEmbeddingGenerators.Create(new TextEmbeddingOptions { Provider = TextEmbeddingProvider.None }));
    }

    [Fact]
    public void OpenAI_needs_an_http_endpoint_and_a_model()
    {
        var errors = Check(new TextEmbeddingOptions { Provider = TextEmbeddingProvider.OpenAI, Endpoint = "localhost:11434" });

        Assert.Contains(errors, e => e.MemberNames.Contains(nameof(TextEmbeddingOptions.Endpoint)));
        Assert.Contains(errors, e => e.MemberNames.Contains(nameof(TextEmbeddingOptions.Model)));
    }

    [Fact]
    public void OpenAI_builds_an_embedding_generator_named_by_its_model()
    {
        var options = new TextEmbeddingOptions { Provider = TextEmbeddingProvider.OpenAI, Endpoint = "http://127.0.0.1:9/v1", Model = "nomic-embed-text", Dimensions = 256 };

        Assert.Empty(Check(options));
        using var encoder = TextEmbeddingGenerators.Create(options)!;
        Assert.Equal("openai/nomic-embed-text", TextEmbeddingGenerators.IdentityOf(encoder));
        Assert.Equal(256, encoder.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
    }

    [Fact]
    public void The_key_comes_from_the_environment_or_a_file_never_from_configuration()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "sk-from-file\n");
            var options = new TextEmbeddingOptions { ApiKeyEnvironmentVariable = "LLMREC_TEST_UNSET_" + Guid.NewGuid().ToString("N"), ApiKeyFile = file };
            Assert.Equal("sk-from-file", options.ResolveApiKey());
            Assert.Null(new TextEmbeddingOptions { ApiKeyEnvironmentVariable = options.ApiKeyEnvironmentVariable }.ResolveApiKey());
        }
        finally
        {
            File.Delete(file);
        }
    }
}
