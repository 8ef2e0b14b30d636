using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Grains.Serving;

namespace Orleans.LlmRec.Silo.ApiTier;

// The API tier's side of IApiTierGrain: the services the HTTP endpoints use, answered by whichever silo the
// stateless worker runs on. Key 0 for all: a stateless worker's key only names the pool of activations.

/// <summary><c>POST /v1/events</c> on the API tier: validated and applied by a silo.</summary>
public sealed class ApiTierEventIngestor(IGrainFactory grains) : IEventIngestor
{
    public Task<IngestResult> IngestAsync(IReadOnlyList<IncomingEvent?>? batch, CancellationToken cancellationToken = default) =>
        grains.GetGrain<IApiTierGrain>(0).IngestAsync(batch).WaitAsync(cancellationToken);
}

/// <summary>Similar items on the API tier: found by a silo, with its catalogue and model.</summary>
public sealed class ApiTierItemQueries(IGrainFactory grains) : IItemQueries
{
    public Task<SimilarItemsResponse?> FindSimilarAsync(string itemId, int count) =>
        grains.GetGrain<IApiTierGrain>(0).FindSimilarAsync(itemId, count);
}

/// <summary>The item API on the API tier: validated and applied by a silo, into the cluster's one catalogue log.</summary>
public sealed class ApiTierItemCatalogueApi(IGrainFactory grains) : IItemCatalogueApi
{
    public Task<ItemWriteResult> PutAsync(string itemId, ItemRequest? item, CancellationToken cancellationToken = default) =>
        grains.GetGrain<IApiTierGrain>(0).PutItemAsync(itemId, item).WaitAsync(cancellationToken);

    public Task<ItemWriteResult> RetireAsync(string itemId, CancellationToken cancellationToken = default) =>
        grains.GetGrain<IApiTierGrain>(0).RetireItemAsync(itemId).WaitAsync(cancellationToken);

    public Task<ItemView?> DescribeAsync(string itemId, CancellationToken cancellationToken = default) =>
        grains.GetGrain<IApiTierGrain>(0).GetItemAsync(itemId).WaitAsync(cancellationToken);
}

/// <summary>Healthy when a silo answers through the gateway; reports what it serves.</summary>
public sealed class ApiTierHealthCheck(IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var serving = await grains.GetGrain<IApiTierGrain>(0).DescribeServingAsync().WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy($"silo {serving.Silo} serves {serving.ModelKind} model {serving.ModelVersion}, {serving.Items} items", new Dictionary<string, object>
            {
                ["silo"] = serving.Silo,
                ["modelKind"] = serving.ModelKind,
                ["modelVersion"] = serving.ModelVersion,
                ["items"] = serving.Items,
            });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("no silo answered through the gateway", e);
        }
    }
}
