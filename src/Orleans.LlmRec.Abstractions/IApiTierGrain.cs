namespace Orleans.LlmRec.Abstractions;

/// <summary>
/// What the API tier (a host that runs as an Orleans client of the silos, <c>Silo:Role = ApiTier</c>) asks of the
/// silos: it holds no grains, catalogue or model, so whatever needs them beyond a user grain (validating a batch
/// against the catalogue, similar items, what is served) goes through this grain. A stateless worker: any silo
/// answers, from its own catalogue and model, and activations scale with load.
/// </summary>
// The alias is the wire name, kept from before the rename so API tiers and silos of either version still agree.
[Alias("llmrec.IApiGatewayGrain")]
public interface IApiTierGrain : IGrainWithIntegerKey
{
    /// <summary>The same validation, grouping and idempotency as <c>POST /v1/events</c> on a silo.</summary>
    [Alias("Ingest")]
    [ResponseTimeout(UserGrainTimeouts.Write)]
    Task<IngestResult> IngestAsync(IReadOnlyList<IncomingEvent?>? batch);

    /// <summary>The items closest to <paramref name="itemId"/>; null when the catalogue does not know it.</summary>
    [Alias("FindSimilar")]
    [ResponseTimeout(UserGrainTimeouts.Read)]
    Task<SimilarItemsResponse?> FindSimilarAsync(string itemId, int count);

    /// <summary>What the answering silo serves, for the API tier's health check.</summary>
    [Alias("DescribeServing")]
    [ResponseTimeout(UserGrainTimeouts.Read)]
    Task<ServingSummary> DescribeServingAsync();

    /// <summary>
    /// <c>PUT /v1/items/{itemId}</c> on the API tier: validated and appended to the cluster's catalogue log by the
    /// answering silo, exactly as on a silo (the id is checked by the tier first).
    /// </summary>
    [Alias("PutItem")]
    [ResponseTimeout(UserGrainTimeouts.Write)]
    Task<ItemWriteResult> PutItemAsync(string itemId, ItemRequest? item);

    /// <summary><c>DELETE /v1/items/{itemId}</c> on the API tier.</summary>
    [Alias("RetireItem")]
    [ResponseTimeout(UserGrainTimeouts.Write)]
    Task<ItemWriteResult> RetireItemAsync(string itemId);

    /// <summary><c>GET /v1/items/{itemId}</c> on the API tier; null when the catalogue never held the item.</summary>
    [Alias("GetItem")]
    [ResponseTimeout(UserGrainTimeouts.Read)]
    Task<ItemView?> GetItemAsync(string itemId);

    /// <summary>Reloads the model on every active silo (<c>POST /v1/admin/model/reload</c> from an API tier).</summary>
    [Alias("ReloadModelEverywhere")]
    [ResponseTimeout(UserGrainTimeouts.ModelReloadEverywhere)]
    Task<ClusterModelReload> ReloadModelEverywhereAsync();
}

/// <summary>The model and catalogue a silo serves.</summary>
[GenerateSerializer, Immutable, Alias("llmrec.ServingSummary")]
public sealed record ServingSummary
{
    [Id(0)] public required string ModelKind { get; init; }
    [Id(1)] public required string ModelVersion { get; init; }
    [Id(2)] public required int Items { get; init; }
    [Id(3)] public required int Dimension { get; init; }

    /// <summary>The silo that answered (<c>ip:port@generation</c>).</summary>
    [Id(4)] public required string Silo { get; init; }
}
