namespace Orleans.LlmRec.Abstractions;

/// <summary>
/// The silo-side entry for an API tier that runs as an Orleans client (<c>Silo:Role = ApiTier</c>): such a host holds no
/// grains, catalogue or model, so whatever needs them beyond a user grain (validating a batch against the catalogue,
/// similar items, what is served) it asks through this grain. A stateless worker: any silo answers, from its own
/// catalogue and model, and activations scale with load.
/// </summary>
[Alias("llmrec.IApiGatewayGrain")]
public interface IApiGatewayGrain : IGrainWithIntegerKey
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
