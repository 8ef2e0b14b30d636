using System.Globalization;
using System.Text.Json;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.Onnx;

/// <summary>What an exported scoring graph says about itself in its metadata props.</summary>
public sealed record OnnxModelInfo
{
    private static readonly JsonSerializerOptions CompactJson = new(ModelDirectory.JsonOptions) { WriteIndented = false };

    public required string ContractVersion { get; init; }
    public required OnnxScoringGraph Graph { get; init; }
    public required ModelKind Kind { get; init; }
    public required string Version { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required int Dimension { get; init; }
    public required int ItemCount { get; init; }
    public required int UserCount { get; init; }
    public required string ItemIdChecksum { get; init; }
    public string Dataset { get; init; } = "";
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public IReadOnlyDictionary<string, double> Parameters { get; init; } = new Dictionary<string, double>();

    /// <summary>The metadata props the exporter writes for this model and graph.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ToMetadata(ModelManifest manifest, OnnxScoringGraph graph, string contractVersion = OnnxContract.ContractVersion) =>
    [
        new(OnnxMetadataKeys.ContractVersion, contractVersion),
        new(OnnxMetadataKeys.Graph, OnnxContract.GraphName(graph)),
        new(OnnxMetadataKeys.Kind, manifest.Kind),
        new(OnnxMetadataKeys.Version, manifest.Version),
        new(OnnxMetadataKeys.CreatedAt, manifest.CreatedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture)),
        new(OnnxMetadataKeys.Dimension, manifest.Dimension.ToString(CultureInfo.InvariantCulture)),
        new(OnnxMetadataKeys.ItemCount, manifest.ItemCount.ToString(CultureInfo.InvariantCulture)),
        new(OnnxMetadataKeys.UserCount, manifest.UserCount.ToString(CultureInfo.InvariantCulture)),
        new(OnnxMetadataKeys.ItemIdChecksum, manifest.ItemIdChecksum),
        new(OnnxMetadataKeys.Dataset, manifest.Dataset),
        new(OnnxMetadataKeys.Metrics, SerializeFigures(manifest.Metrics)),
        new(OnnxMetadataKeys.Parameters, SerializeFigures(manifest.Parameters)),
    ];

    /// <summary>
    /// Parses the metadata props of an exported graph. Throws <see cref="InvalidDataException"/> naming the first key
    /// that is missing or malformed, so a scorer can refuse a file with a message that says why.
    /// </summary>
    public static OnnxModelInfo FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var contract = Required(metadata, OnnxMetadataKeys.ContractVersion);
        if (!OnnxContract.SupportedContractVersions.Contains(contract))
        {
            throw new InvalidDataException(
                $"Scoring contract version '{contract}' is not supported (this reader knows {string.Join(" and ", OnnxContract.SupportedContractVersions.Select(v => $"'{v}'"))}).");
        }
        if (!OnnxContract.TryParseGraphName(Required(metadata, OnnxMetadataKeys.Graph), out var graph))
        {
            throw new InvalidDataException($"Metadata '{OnnxMetadataKeys.Graph}' = '{metadata[OnnxMetadataKeys.Graph]}' is not a known graph.");
        }
        if (graph == OnnxScoringGraph.ItemScores && contract == OnnxContract.ContractVersion1)
        {
            throw new InvalidDataException($"The '{OnnxContract.GraphName(graph)}' graph does not exist in scoring contract version '{contract}'.");
        }
        if (!ModelKindNames.TryParse(Required(metadata, OnnxMetadataKeys.Kind), out var kind))
        {
            throw new InvalidDataException($"Metadata '{OnnxMetadataKeys.Kind}' = '{metadata[OnnxMetadataKeys.Kind]}' is not a known model kind.");
        }
        if (!DateTimeOffset.TryParse(Required(metadata, OnnxMetadataKeys.CreatedAt), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var createdAt))
        {
            throw new InvalidDataException($"Metadata '{OnnxMetadataKeys.CreatedAt}' is not an ISO 8601 time.");
        }
        return new OnnxModelInfo
        {
            ContractVersion = contract,
            Graph = graph,
            Kind = kind,
            Version = Required(metadata, OnnxMetadataKeys.Version),
            CreatedAt = createdAt,
            Dimension = NonNegativeInt(metadata, OnnxMetadataKeys.Dimension),
            ItemCount = NonNegativeInt(metadata, OnnxMetadataKeys.ItemCount),
            UserCount = NonNegativeInt(metadata, OnnxMetadataKeys.UserCount),
            ItemIdChecksum = Required(metadata, OnnxMetadataKeys.ItemIdChecksum),
            Dataset = metadata.GetValueOrDefault(OnnxMetadataKeys.Dataset, ""),
            Metrics = ParseFigures(metadata, OnnxMetadataKeys.Metrics),
            Parameters = ParseFigures(metadata, OnnxMetadataKeys.Parameters),
        };
    }

    private static string Required(IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var value) && !string.IsNullOrEmpty(value)
            ? value
            : throw new InvalidDataException($"Metadata key '{key}' is missing; was the file written by the Orleans.LlmRec exporter?");

    private static int NonNegativeInt(IReadOnlyDictionary<string, string> metadata, string key) =>
        int.TryParse(Required(metadata, key), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidDataException($"Metadata '{key}' = '{metadata[key]}' is not a non-negative integer.");

    private static string SerializeFigures(IReadOnlyDictionary<string, double> figures) =>
        JsonSerializer.Serialize(new SortedDictionary<string, double>(figures.ToDictionary(), StringComparer.Ordinal), CompactJson);

    private static Dictionary<string, double> ParseFigures(IReadOnlyDictionary<string, string> metadata, string key)
    {
        if (!metadata.TryGetValue(key, out var json) || string.IsNullOrEmpty(json)) return [];
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, double>>(json, ModelDirectory.JsonOptions) ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Metadata '{key}' is not a JSON object of numbers: {e.Message}", e);
        }
    }
}
