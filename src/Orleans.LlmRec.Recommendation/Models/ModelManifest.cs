namespace Orleans.LlmRec.Recommendation.Models;

/// <summary>What a model directory says about its model (manifest.json). Written by trainers, read by the scorer and the exporter.</summary>
public sealed record ModelManifest
{
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; init; } = CurrentFormatVersion;
    public required string Kind { get; init; }

    /// <summary>Model version, unique per training run (sortable: UTC time of creation plus a short hash).</summary>
    public required string Version { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required int UserCount { get; init; }
    public required int ItemCount { get; init; }
    public required int Dimension { get; init; }
    public string Dataset { get; init; } = "";
    public int Seed { get; init; }
    public double TrainingSeconds { get; init; }

    /// <summary>SHA-256 of the ordered external item ids (items.txt): a scorer refuses weights whose map differs.</summary>
    public required string ItemIdChecksum { get; init; }
    public required string UserIdChecksum { get; init; }
    public Dictionary<string, double> Parameters { get; init; } = [];

    /// <summary>Evaluation figures recorded at training time, e.g. "ndcg@10".</summary>
    public Dictionary<string, double> Metrics { get; init; } = [];
}
