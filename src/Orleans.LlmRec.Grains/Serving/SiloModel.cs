using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Grains.Serving;

/// <summary>
/// What this silo serves, one per silo: the catalogue, the current <see cref="ModelSnapshot"/> grains fold users in
/// with, and the scorer (one ONNX session per model per silo) that ranks items for them. The scorer must serve the same
/// model version as <see cref="Current"/>. Loaded, and reloaded, by the host (the silo's <c>SiloModelLoader</c>).
/// </summary>
public sealed class SiloModel
{
    private ModelSnapshot _current;

    public SiloModel(ItemCatalogue catalogue, ModelSnapshot model, IScorer scorer)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(scorer);
        CheckItemMap(model, catalogue);
        if (scorer.Model.ItemIdChecksum != catalogue.Checksum)
        {
            throw new ArgumentException($"The scorer's model ({scorer.Model.Version}) was exported for another item map than the catalogue's.", nameof(scorer));
        }
        Catalogue = catalogue;
        Scorer = scorer;
        _current = model;
    }

    public ItemCatalogue Catalogue { get; }
    public IScorer Scorer { get; }

    /// <summary>The model new requests use; read it once per request and keep the reference.</summary>
    public ModelSnapshot Current => Volatile.Read(ref _current);

    /// <summary>
    /// Makes <paramref name="model"/> the one new requests fold users in with; the caller has already swapped the
    /// scorer to the same version. A request that read the old model and was scored by the new one (or the other way
    /// round) notices the version mismatch and takes the fallback ladder once. Returns the model it replaced.
    /// </summary>
    public ModelSnapshot Replace(ModelSnapshot model)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckItemMap(model, Catalogue);
        var previous = Interlocked.Exchange(ref _current, model);
        // Requests that still hold the old snapshot find no index and score exactly; searches in progress finish first.
        if (!ReferenceEquals(previous, model)) previous.ItemIndex.Dispose();
        return previous;
    }

    private static void CheckItemMap(ModelSnapshot model, ItemCatalogue catalogue)
    {
        if (model.ItemCount != catalogue.Count)
        {
            throw new ArgumentException($"The model has {model.ItemCount} items, the catalogue {catalogue.Count}: they must share one item map.", nameof(model));
        }
    }
}
