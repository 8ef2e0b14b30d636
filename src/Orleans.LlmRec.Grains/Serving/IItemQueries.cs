using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;

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

/// <summary>Answers from the catalogue and model loaded in this silo (items published since training: by their placed vector).</summary>
public sealed class LocalItemQueries(SiloModel serving, LiveCatalogue? live = null) : IItemQueries
{
    public Task<SimilarItemsResponse?> FindSimilarAsync(string itemId, int count)
    {
        var catalogue = serving.Catalogue;
        var model = serving.Current;
        if (!catalogue.TryGetIndex(itemId, out var index)) return Task.FromResult<SimilarItemsResponse?>(null);
        if (index < catalogue.Count) return Task.FromResult<SimilarItemsResponse?>(SimilarItemsFinder.Find(model, catalogue, index, count));
        var rows = live?.VectorsFor(model)?.Rows;
        var row = index - catalogue.Count;
        return Task.FromResult(rows is not null && row < rows.Count && model.HasItemVectors
            ? SimilarItemsFinder.FindFor(model, catalogue, index, rows.Vector(row), count)
            : null);
    }
}
