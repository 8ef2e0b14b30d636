using Orleans.Concurrency;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Grains.Serving;
using Orleans.Runtime;

namespace Orleans.LlmRec.Grains.Gateway;

/// <summary>
/// Serves an API tier's requests with this silo's catalogue and model (see <see cref="IApiGatewayGrain"/>). Holds no
/// state, so it is reentrant: one activation can wait on many user grains at once.
/// </summary>
[StatelessWorker]
[Reentrant]
public sealed class ApiGatewayGrain(EventIngestor ingestor, LocalItemQueries items, SiloModel serving, ILocalSiloDetails silo, IClusterModelReloader reloader) : Grain, IApiGatewayGrain
{
    public Task<IngestResult> IngestAsync(IReadOnlyList<IncomingEvent?>? batch) => ingestor.IngestAsync(batch);

    public Task<SimilarItemsResponse?> FindSimilarAsync(string itemId, int count) => items.FindSimilarAsync(itemId, count);

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
