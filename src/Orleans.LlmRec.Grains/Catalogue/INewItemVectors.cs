using Orleans.LlmRec.Grains.Serving;

namespace Orleans.LlmRec.Grains.Catalogue;

/// <summary>What a publisher says about an item (<c>PUT /v1/items/{itemId}</c> or the item stream): its text side.</summary>
/// <param name="ItemId">The external id, already checked by the id rules.</param>
/// <param name="Title">Short title, never empty.</param>
/// <param name="Text">Longer free text (description, overview), when the publisher has one.</param>
/// <param name="Tags">Tags or genres, as given.</param>
public sealed record ItemDescription(string ItemId, string Title, string? Text, IReadOnlyList<string> Tags);

/// <summary>A vector in the served model's item space, with the item bias the model's score adds to the dot product.</summary>
public readonly record struct NewItemVector(float[] Vector, float Bias)
{
    /// <summary>How this vector was made (an <see cref="INewItemVectors.Name"/>), when it differs from the placement asked (a fallback).</summary>
    public string? Source { get; init; }
}

/// <summary>
/// Places an item the served model was not trained on into the model's item space, so that it is scored the moment it
/// is published (cold start) rather than after the next training. Implementations: from the item's text through a
/// sentence embedding and a mapping fitted at training time, or from the vectors of trained items sharing its tags.
/// </summary>
public interface INewItemVectors
{
    /// <summary>How the vector was made, for explanations and metrics (e.g. <c>text</c>, <c>tags</c>).</summary>
    string Name { get; }

    /// <summary>A vector of length <see cref="ModelSnapshot.Dimension"/> for <paramref name="item"/> under <paramref name="model"/>.</summary>
    ValueTask<NewItemVector> VectorForAsync(ItemDescription item, ModelSnapshot model, CancellationToken cancellationToken);
}
