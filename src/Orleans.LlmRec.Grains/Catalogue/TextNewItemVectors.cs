using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Recommendation.ColdStart;

namespace Orleans.LlmRec.Grains.Catalogue;

/// <summary>
/// Places a new item from its text: the sentence encoder's vector of <see cref="ItemText.Compose"/>(title, tags,
/// text), through the text map saved with the served model (<see cref="ModelSnapshot.TextMap"/>). When the model has
/// no map, or a map fitted on another encoder or text recipe, or the encoder fails (an embeddings endpoint down), it
/// asks <paramref name="fallback"/> (the tags placement) instead, so publishing never fails for want of text vectors.
/// </summary>
public sealed partial class TextNewItemVectors(
    IEmbeddingGenerator<string, Embedding<float>> encoder,
    INewItemVectors fallback,
    ILogger<TextNewItemVectors> logger) : INewItemVectors
{
    public const string PlacementName = "text";

    private readonly string _encoderIdentity = EncoderIdentityOf(encoder);

    public string Name => PlacementName;

    /// <summary>The encoder's name as a text map records it (<see cref="TextItemMap.EncoderIdentity"/>).</summary>
    public string EncoderIdentity => _encoderIdentity;

    public async ValueTask<NewItemVector> VectorForAsync(ItemDescription item, ModelSnapshot model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(model);
        if (!Usable(model.TextMap, model))
        {
            return await FallbackAsync(item, model, cancellationToken);
        }
        float[] textVector;
        try
        {
            var embedding = await encoder.GenerateAsync(ItemText.Compose(item.Title, item.Tags, item.Text), cancellationToken: cancellationToken);
            textVector = embedding.Vector.ToArray();
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogEncoderFailed(logger, item.ItemId, fallback.Name, e);
            return await FallbackAsync(item, model, cancellationToken);
        }
        if (textVector.Length != model.TextMap!.TextDimension)
        {
            LogWrongDimension(logger, textVector.Length, model.TextMap.TextDimension, fallback.Name);
            return await FallbackAsync(item, model, cancellationToken);
        }
        var (vector, bias) = model.TextMap.Place(textVector);
        return new NewItemVector(vector, bias);
    }

    /// <summary>A map this encoder can feed: fitted on its vectors, with today's text recipe, to this model's space.</summary>
    private bool Usable(TextItemMap? map, ModelSnapshot model) =>
        map is not null && map.Encoder == _encoderIdentity && map.TextRecipe == ItemText.Recipe && map.ModelDimension == model.Dimension;

    private static string EncoderIdentityOf(IEmbeddingGenerator<string, Embedding<float>> encoder)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var metadata = encoder.GetService<EmbeddingGeneratorMetadata>();
        return TextItemMap.EncoderIdentity(metadata?.ProviderName, metadata?.DefaultModelId);
    }

    private async ValueTask<NewItemVector> FallbackAsync(ItemDescription item, ModelSnapshot model, CancellationToken cancellationToken)
    {
        var vector = await fallback.VectorForAsync(item, model, cancellationToken);
        return vector with { Source = vector.Source ?? fallback.Name };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Text embedding of new item {ItemId} failed; placed by {Fallback} instead")]
    private static partial void LogEncoderFailed(ILogger logger, string itemId, string fallback, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The text encoder returned {Length}-dimensional vectors, the model's text map reads {Expected}; placed by {Fallback} instead")]
    private static partial void LogWrongDimension(ILogger logger, int length, int expected, string fallback);
}
