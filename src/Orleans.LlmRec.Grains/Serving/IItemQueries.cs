using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Grains.Serving;

/// <summary>
/// Item lookups of the HTTP API that need the catalogue and model: answered from the silo's own
/// (<see cref="LocalItemQueries"/>), or by a silo for an API tier that has neither.
/// </summary>
public interface IItemQueries
{
    /// <summary>The items closest to <paramref name="itemId"/>; null when the catalogue does not know it.</summary>
    Task<SimilarItemsResponse?> FindSimilarAsync(string itemId, int count);
}

/// <summary>Answers from the catalogue and model loaded in this silo.</summary>
public sealed class LocalItemQueries(SiloModel serving) : IItemQueries
{
    public Task<SimilarItemsResponse?> FindSimilarAsync(string itemId, int count) =>
        Task.FromResult(serving.Catalogue.TryGetIndex(itemId, out var index) && index < serving.Catalogue.Count
            ? SimilarItemsFinder.Find(serving.Current, serving.Catalogue, index, count)
            : null);
}
