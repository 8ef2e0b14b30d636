using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Ingestion;

namespace Orleans.LlmRec.Grains.Catalogue;

/// <summary>
/// What <c>PUT</c>/<c>DELETE</c>/<c>GET /v1/items/{itemId}</c> ask of the catalogue, once the HTTP layer checked the
/// id and read the body: answered by this silo's <see cref="LiveCatalogue"/> on a silo, by a silo through
/// <c>IApiTierGrain</c> on an API tier, so both validate and apply the same way and share the one catalogue log.
/// </summary>
public interface IItemCatalogueApi
{
    /// <summary>Validates <paramref name="item"/> and publishes it; <see cref="ItemWriteOutcome.Invalid"/> changes nothing.</summary>
    Task<ItemWriteResult> PutAsync(string itemId, ItemRequest? item, CancellationToken cancellationToken = default);

    Task<ItemWriteResult> RetireAsync(string itemId, CancellationToken cancellationToken = default);

    /// <summary>The item, or null when the catalogue never held it.</summary>
    Task<ItemView?> DescribeAsync(string itemId, CancellationToken cancellationToken = default);
}

/// <summary>The item API on a silo: validation by <see cref="ItemPublicationRules"/>, writes through the live catalogue.</summary>
public sealed class LocalItemCatalogueApi(LiveCatalogue live, IOptions<IngestionOptions> ingestion, TimeProvider time) : IItemCatalogueApi
{
    public async Task<ItemWriteResult> PutAsync(string itemId, ItemRequest? item, CancellationToken cancellationToken = default)
    {
        if (ItemPublicationRules.Validate(item, time.GetUtcNow(), ingestion.Value.MaxFutureSkew, out var errors) is not { } publication)
        {
            return new ItemWriteResult { Outcome = ItemWriteOutcome.Invalid, Errors = errors };
        }
        return Answer(itemId, await live.PutAsync(itemId, publication, cancellationToken));
    }

    public async Task<ItemWriteResult> RetireAsync(string itemId, CancellationToken cancellationToken = default) =>
        Answer(itemId, await live.RetireAsync(itemId, cancellationToken));

    public async Task<ItemView?> DescribeAsync(string itemId, CancellationToken cancellationToken = default)
    {
        // Another silo may have published it a moment ago: read the log before answering "unknown".
        if (!live.Catalogue.Contains(itemId)) await live.CatchUpAsync(cancellationToken);
        return CatalogueViews.Describe(live, itemId);
    }

    private ItemWriteResult Answer(string itemId, CatalogueWriteStatus status) => new()
    {
        Outcome = status switch
        {
            CatalogueWriteStatus.Applied => ItemWriteOutcome.Applied,
            CatalogueWriteStatus.Unchanged => ItemWriteOutcome.Unchanged,
            CatalogueWriteStatus.Retired => ItemWriteOutcome.Retired,
            _ => ItemWriteOutcome.Unknown,
        },
        Item = CatalogueViews.Describe(live, itemId),
    };
}
