using Orleans.Concurrency;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Grains.Serving;

namespace Orleans.LlmRec.Grains.ApiTier;

/// <summary>
/// Serves an API tier's requests with this silo's catalogue and model (see <see cref="IApiTierGrain"/>). Holds no
/// state, so it is reentrant: one activation can wait on many user grains at once.
/// </summary>
[StatelessWorker]
[Reentrant]
// The grain type its name had before the rename, so API tiers and silos of either version still find it.
[GrainType("apigateway")]
public sealed class ApiTierGrain(
    EventIngestor ingestor, LocalItemQueries items, IItemCatalogueApi catalogue, SiloModel serving, ILocalSiloDetails silo, IClusterModelReloader reloader)
    : Grain, IApiTierGrain
{
    public Task<IngestResult> IngestAsync(IReadOnlyList<IncomingEvent?>? batch) => ingestor.IngestAsync(batch);

    public Task<SimilarItemsResponse?> FindSimilarAsync(string itemId, int count) => items.FindSimilarAsync(itemId, count);

    public Task<ItemWriteResult> PutItemAsync(string itemId, ItemRequest? item) => catalogue.PutAsync(itemId, item);

    public Task<ItemWriteResult> RetireItemAsync(string itemId) => catalogue.RetireAsync(itemId);

    public Task<ItemView?> GetItemAsync(string itemId) => catalogue.DescribeAsync(itemId);

    public Task<ServingSummary> DescribeServingAsync()
    {
        var model = serving.Current;
        return Task.FromResult(new ServingSummary
        {
            ModelKind = model.Kind.ToString(),
            ModelVersion = model.Version,
            Items = serving.Catalogue.Count,
            Dimension = model.Dimension,
            Silo = silo.SiloAddress.ToParsableString(),
        });
    }

    public Task<ClusterModelReload> ReloadModelEverywhereAsync() => reloader.ReloadEverywhereAsync();
}
