using System.Numerics.Tensors;
using Microsoft.Extensions.AI;

namespace Orleans.LlmRec.Text.UnitTests;

[Collection(MiniLmCollection.Name)]
public sealed class MiniLmEmbeddingGeneratorTests(MiniLmFixture fixture)
{
    private readonly MiniLmEmbeddingGenerator _encoder = fixture.Encoder;

    [Fact]
    public async Task Vectors_have_384_dimensions_and_unit_length_in_input_order()
    {
        string[] texts = ["A heist goes wrong in Los Angeles.", "Two robots fall in love on a dying planet.", ""];

        var embeddings = await _encoder.GenerateAsync(texts);

        Assert.Equal(3, embeddings.Count);
        Assert.All(embeddings, e => Assert.Equal(384, e.Vector.Length));
        Assert.All(embeddings, e => Assert.Equal(1f, TensorPrimitives.Norm(e.Vector.Span), 0.001f));
        // Order is kept although the encoder batches by length: the same text alone gives the same vector.
        var alone = await _encoder.GenerateAsync(texts[1]);
        Assert.True(TensorPrimitives.CosineSimilarity(alone.Vector.Span, embeddings[1].Vector.Span) > 0.999f);
        Assert.True(_encoder.IsLoaded);
        Assert.True(_encoder.LoadTime > TimeSpan.Zero);
    }

    [Fact]
    public async Task Similar_sentences_are_closer_than_unrelated_ones()
    {
        var embeddings = await _encoder.GenerateAsync([
            "A detective hunts a serial killer through a rainy city.",
            "A police inspector tracks down a murderer in a dark town.",
            "A chef opens a small bakery and learns to make croissants.",
        ]);
        var v = embeddings.Select(e => e.Vector.ToArray()).ToArray();

        var similar = TensorPrimitives.CosineSimilarity(v[0], v[1]);
        var unrelated = TensorPrimitives.CosineSimilarity(v[0], v[2]);

        Assert.True(similar > unrelated + 0.2f, $"similar {similar:F3}, unrelated {unrelated:F3}");
    }

    [Fact]
    public async Task Text_longer_than_the_limit_is_cut_not_refused()
    {
        var longText = string.Join(' ', Enumerable.Repeat("a very long plot summary", 2_000));

        var embedding = await _encoder.GenerateAsync(longText);

        Assert.Equal(384, embedding.Vector.Length);
    }

    [Fact]
    public void Metadata_names_the_model_for_the_text_map()
    {
        Assert.Equal("minilm/all-minilm-l6-v2", TextEmbeddingGenerators.IdentityOf(_encoder));
        Assert.Equal(384, _encoder.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
    }
}
