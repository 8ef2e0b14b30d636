namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>Sizes and shape of a <see cref="SyntheticCatalogue"/>.</summary>
public sealed record SyntheticCatalogueOptions
{
    public int Seed { get; init; } = 42;
    public int UserCount { get; init; } = 1_000;
    public int ItemCount { get; init; } = 2_000;

    /// <summary>Mean of the per-user interaction count (log-normal, so a few users are far more active).</summary>
    public double MeanInteractionsPerUser { get; init; } = 50;
    public int MinInteractionsPerUser { get; init; } = 5;

    /// <summary>Dimensions of the hidden taste space that users and items share.</summary>
    public int LatentDimensions { get; init; } = 16;

    /// <summary>Zipf exponent of item popularity: weight of the k-th most popular item ∝ k^-exponent.</summary>
    public double PopularityExponent { get; init; } = 0.9;

    /// <summary>How strongly taste (against chance) decides which of the candidate items a user picks.</summary>
    public double TasteStrength { get; init; } = 3.0;

    /// <summary>Share of a user's candidates drawn from genres the user likes; the rest come from overall popularity.</summary>
    public double GenreCandidateShare { get; init; } = 0.7;

    /// <summary>Unix seconds of the first possible interaction; the data spans <see cref="TimeSpanDays"/>.</summary>
    public long StartTimestamp { get; init; } = 1_420_070_400; // 2015-01-01
    public int TimeSpanDays { get; init; } = 3 * 365;

    public string Name { get; init; } = "synthetic";

    /// <summary>
    /// Give every item a description whose words follow its genres and hidden vector (SyntheticDescriptions), for
    /// the text-to-item-space map. Off by default: descriptions reach LLM prompts, and the embedded default's stay as
    /// they were. Everything else generated is the same either way.
    /// </summary>
    public bool Descriptions { get; init; }

    internal void Validate()
    {
        if (UserCount < 1) throw new ArgumentOutOfRangeException(nameof(UserCount), UserCount, "Needs at least one user.");
        if (ItemCount < 10) throw new ArgumentOutOfRangeException(nameof(ItemCount), ItemCount, "Needs at least 10 items.");
        if (MinInteractionsPerUser < 1 || MinInteractionsPerUser > ItemCount / 2)
            throw new ArgumentOutOfRangeException(nameof(MinInteractionsPerUser), MinInteractionsPerUser, "Must lie in [1, ItemCount / 2].");
        if (!(MeanInteractionsPerUser >= MinInteractionsPerUser && MeanInteractionsPerUser <= ItemCount / 2.0))
            throw new ArgumentOutOfRangeException(nameof(MeanInteractionsPerUser), MeanInteractionsPerUser, "Must lie in [MinInteractionsPerUser, ItemCount / 2].");
        if (LatentDimensions < 1) throw new ArgumentOutOfRangeException(nameof(LatentDimensions), LatentDimensions, "Must be positive.");
        if (!(PopularityExponent >= 0)) throw new ArgumentOutOfRangeException(nameof(PopularityExponent), PopularityExponent, "Must be non-negative.");
        if (!(TasteStrength >= 0)) throw new ArgumentOutOfRangeException(nameof(TasteStrength), TasteStrength, "Must be non-negative.");
        if (!(GenreCandidateShare is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(GenreCandidateShare), GenreCandidateShare, "Must lie in [0, 1].");
        if (TimeSpanDays < 1) throw new ArgumentOutOfRangeException(nameof(TimeSpanDays), TimeSpanDays, "Must be positive.");
    }
}
