using System.Globalization;
using System.Text;

namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>Min, median, max and mean of a count per user or per item.</summary>
public readonly record struct CountSummary(int Min, double Median, int Max, double Mean);

/// <summary>Ratings in [Lower, Upper]; Lower == Upper when the histogram counts distinct values.</summary>
public readonly record struct HistogramBin(float Lower, float Upper, int Count);

/// <summary>
/// What a data set holds, for a quick look before training. Per-user and per-item counts run over every id in the
/// maps, so catalogue-only items (and users absent from a split's part) show up as zeros.
/// </summary>
public sealed record DatasetStatistics
{
    /// <summary>Up to this many distinct ratings get one bin each (MovieLens has 10); beyond, equal-width bins.</summary>
    public const int MaxDistinctRatingBins = 20;

    private const int ContinuousRatingBins = 10;

    public required string Name { get; init; }
    public required int Users { get; init; }
    public required int Items { get; init; }

    /// <summary>Items with at least one interaction.</summary>
    public required int RatedItems { get; init; }
    public required int Interactions { get; init; }

    /// <summary>Interactions / (users × items).</summary>
    public required double Density { get; init; }
    public required float MinRating { get; init; }
    public required float MaxRating { get; init; }
    public required double MeanRating { get; init; }
    public required IReadOnlyList<HistogramBin> RatingHistogram { get; init; }
    public required CountSummary PerUser { get; init; }
    public required CountSummary PerItem { get; init; }
    public required long MinTimestamp { get; init; }
    public required long MaxTimestamp { get; init; }

    /// <summary>
    /// Whether any interaction carries a time. Loaders write 0 where a file has none (LightGCN's train.txt, a CSV
    /// without a timestamp column); then the time-ordered protocols (loo, temporal) have no order to follow.
    /// </summary>
    public bool HasTimestamps { get; init; }

    public static DatasetStatistics Compute(RatingsDataset dataset)
    {
        var interactions = dataset.Interactions;
        var perUser = new int[dataset.UserCount];
        var perItem = new int[dataset.ItemCount];
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        long first = long.MaxValue, last = long.MinValue;
        double sum = 0;
        var timed = false;
        foreach (var x in interactions)
        {
            timed |= x.Timestamp != 0;
            perUser[x.User]++;
            perItem[x.Item]++;
            min = Math.Min(min, x.Rating);
            max = Math.Max(max, x.Rating);
            first = Math.Min(first, x.Timestamp);
            last = Math.Max(last, x.Timestamp);
            sum += x.Rating;
        }
        var empty = interactions.Length == 0;
        var cells = (double)dataset.UserCount * dataset.ItemCount;
        return new DatasetStatistics
        {
            Name = dataset.Name,
            Users = dataset.UserCount,
            Items = dataset.ItemCount,
            RatedItems = perItem.Count(c => c > 0),
            Interactions = interactions.Length,
            Density = cells > 0 ? interactions.Length / cells : 0,
            MinRating = empty ? 0 : min,
            MaxRating = empty ? 0 : max,
            MeanRating = empty ? 0 : sum / interactions.Length,
            RatingHistogram = empty ? [] : Histogram(interactions, min, max),
            PerUser = Summarize(perUser),
            PerItem = Summarize(perItem),
            MinTimestamp = empty ? 0 : first,
            MaxTimestamp = empty ? 0 : last,
            HasTimestamps = timed,
        };
    }

    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"{Name}: {Users:N0} users, {Items:N0} items ({RatedItems:N0} rated), {Interactions:N0} interactions, density {Density:P3}");
        text.AppendLine(c, $"ratings {MinRating:0.###}–{MaxRating:0.###}, mean {MeanRating:0.###}");
        foreach (var bin in RatingHistogram)
        {
            var label = bin.Lower == bin.Upper ? bin.Lower.ToString("0.###", c) : $"{bin.Lower:0.###}–{bin.Upper:0.###}";
            text.AppendLine(c, $"  {label,-12} {bin.Count,10:N0}");
        }
        text.AppendLine(c, $"per user: min {PerUser.Min}, median {PerUser.Median:0.#}, max {PerUser.Max}, mean {PerUser.Mean:0.#}");
        text.AppendLine(c, $"per item: min {PerItem.Min}, median {PerItem.Median:0.#}, max {PerItem.Max}, mean {PerItem.Mean:0.#}");
        text.Append(c, $"time: {DateTimeOffset.FromUnixTimeSeconds(MinTimestamp):yyyy-MM-dd} to {DateTimeOffset.FromUnixTimeSeconds(MaxTimestamp):yyyy-MM-dd}");
        return text.ToString();
    }

    private static HistogramBin[] Histogram(Interaction[] interactions, float min, float max)
    {
        var distinct = new SortedDictionary<float, int>();
        foreach (var x in interactions)
        {
            distinct[x.Rating] = distinct.GetValueOrDefault(x.Rating) + 1;
            if (distinct.Count > MaxDistinctRatingBins)
            {
                return EqualWidth(interactions, min, max);
            }
        }
        return distinct.Select(p => new HistogramBin(p.Key, p.Key, p.Value)).ToArray();
    }

    private static HistogramBin[] EqualWidth(Interaction[] interactions, float min, float max)
    {
        var width = (max - min) / ContinuousRatingBins;
        var counts = new int[ContinuousRatingBins];
        foreach (var x in interactions)
        {
            // The top edge belongs to the last bin so max is counted.
            counts[Math.Min((int)((x.Rating - min) / width), ContinuousRatingBins - 1)]++;
        }
        return counts.Select((count, i) => new HistogramBin(min + i * width, i == ContinuousRatingBins - 1 ? max : min + (i + 1) * width, count)).ToArray();
    }

    private static CountSummary Summarize(int[] counts)
    {
        if (counts.Length == 0)
        {
            return new CountSummary(0, 0, 0, 0);
        }
        var sorted = (int[])counts.Clone();
        Array.Sort(sorted);
        var middle = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0;
        return new CountSummary(sorted[0], median, sorted[^1], sorted.Average(c => (double)c));
    }
}
