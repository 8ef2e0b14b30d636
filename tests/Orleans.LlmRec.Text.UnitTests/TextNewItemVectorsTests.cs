using Microsoft.Extensions.Logging.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Recommendation.ColdStart;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Text.UnitTests;

/// <summary>The text placement of new items with the real MiniLM and a map fitted on its vectors.</summary>
[Collection(MiniLmCollection.Name)]
public sealed class TextNewItemVectorsTests(MiniLmFixture fixture)
{
    private const int Dimension = 4;

    // Trained items of two kinds: crime stories sit on axis 0 with bias 1, love stories on axis 1 with bias -1.
    private static readonly (string Text, int Axis)[] Trained =
    [
        ("A detective investigates a murder in the city", 0), ("Gangsters plan a bank robbery", 0), ("A police officer hunts a serial killer", 0),
        ("The mafia boss is betrayed by his men", 0), ("A thief pulls off one last heist", 0), ("Cops chase a drug dealer through the night", 0),
        ("Two strangers fall in love in Paris", 1), ("A wedding brings old sweethearts together", 1), ("A romance blossoms between two musicians", 1),
        ("She falls for her best friend", 1), ("A love letter changes two lives", 1), ("A couple rediscovers their passion on holiday", 1),
    ];

    private readonly MiniLmEmbeddingGenerator _encoder = fixture.Encoder;

    private async Task<ModelSnapshot> ModelWithMapAsync(string encoderIdentity)
    {
        var model = new EmbeddingModel(ModelKind.Bpr, 1, Trained.Length, Dimension);
        for (var i = 0; i < Trained.Length; i++)
        {
            model.ItemVector(i)[Trained[i].Axis] = 1;
            model.ItemBias[i] = Trained[i].Axis == 0 ? 1 : -1;
        }
        var vectors = await _encoder.GenerateAsync(Trained.Select(t => ItemText.Compose(t.Text, [], null)));
        var map = TextItemMap.Fit(model, "v1", Enumerable.Range(0, Trained.Length).ToArray(), i => vectors[i].Vector.ToArray(), encoderIdentity);
        return new ModelSnapshot(model, "v1", map);
    }

    private TextNewItemVectors Placement(INewItemVectors fallback) => new(_encoder, fallback, NullLogger<TextNewItemVectors>.Instance);

    [Fact]
    public async Task A_new_item_lands_near_the_trained_items_its_text_resembles()
    {
        var model = await ModelWithMapAsync(TextEmbeddingGenerators.IdentityOf(_encoder));
        var fallback = new RecordingPlacement(Dimension);
        var placement = Placement(fallback);

        var crime = await placement.VectorForAsync(new ItemDescription("n1", "Robbers and a crooked cop", "A detective chases bank robbers.", ["crime"]), model, default);
        var romance = await placement.VectorForAsync(new ItemDescription("n2", "Summer love", "Two young people fall in love by the sea.", ["romance"]), model, default);

        Assert.Equal("text", placement.Name);
        Assert.Equal(Dimension, crime.Vector.Length);
        Assert.True(crime.Vector[0] > crime.Vector[1], $"crime placed at ({crime.Vector[0]:F2}, {crime.Vector[1]:F2})");
        Assert.True(romance.Vector[1] > romance.Vector[0], $"romance placed at ({romance.Vector[0]:F2}, {romance.Vector[1]:F2})");
        Assert.True(crime.Bias > romance.Bias);
        Assert.Equal(0, fallback.Calls);
    }

    [Fact]
    public async Task Without_a_map_or_with_another_encoders_map_it_asks_the_fallback()
    {
        var fallback = new RecordingPlacement(Dimension);
        var placement = Placement(fallback);
        var item = new ItemDescription("n3", "A detective story", null, ["crime"]);
        var noMap = new ModelSnapshot((await ModelWithMapAsync("minilm/all-minilm-l6-v2")).Model, "v2");
        var foreignMap = await ModelWithMapAsync("openai/text-embedding-3-small");

        var first = await placement.VectorForAsync(item, noMap, default);
        var second = await placement.VectorForAsync(item, foreignMap, default);

        Assert.Equal(2, fallback.Calls);
        Assert.Equal(RecordingPlacement.Marker, first.Bias);
        Assert.Equal(RecordingPlacement.Marker, second.Bias);
        Assert.Equal(Dimension, first.Vector.Length);
    }

    /// <summary>Stands in for the catalogue's tags placement (another branch): answers a recognisable vector and counts calls.</summary>
    private sealed class RecordingPlacement(int dimension) : INewItemVectors
    {
        public const float Marker = -42f;

        public int Calls { get; private set; }

        public string Name => "tags";

        public ValueTask<NewItemVector> VectorForAsync(ItemDescription item, ModelSnapshot model, CancellationToken cancellationToken)
        {
            Calls++;
            return ValueTask.FromResult(new NewItemVector(new float[dimension], Marker));
        }
    }
}
