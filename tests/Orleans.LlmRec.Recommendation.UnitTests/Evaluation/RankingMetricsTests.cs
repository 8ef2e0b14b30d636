using Orleans.LlmRec.Recommendation.Evaluation;

namespace Orleans.LlmRec.Recommendation.UnitTests.Evaluation;

public class RankingMetricsTests
{
    // Ranked list 10, 20, 30, 40, 50; relevant {20, 50, 99}: hits at ranks 2 and 5.
    private static readonly int[] Ranked = [10, 20, 30, 40, 50];
    private static readonly HashSet<int> Relevant = [20, 50, 99];

    [Fact]
    public void PrecisionDividesByK()
    {
        Assert.Equal(2.0 / 5, RankingMetrics.PrecisionAtK(Ranked, Relevant, 5), 12);
        Assert.Equal(1.0 / 3, RankingMetrics.PrecisionAtK(Ranked, Relevant, 3), 12);
        // A list shorter than K is penalised: 2 hits over K = 10.
        Assert.Equal(0.2, RankingMetrics.PrecisionAtK(Ranked, Relevant, 10), 12);
    }

    [Fact]
    public void RecallDividesByRelevantCount()
    {
        Assert.Equal(2.0 / 3, RankingMetrics.RecallAtK(Ranked, Relevant, 5), 12);
        Assert.Equal(1.0 / 3, RankingMetrics.RecallAtK(Ranked, Relevant, 2), 12);
    }

    [Fact]
    public void NdcgMatchesHandComputedValue()
    {
        // DCG = 1/log2(3) + 1/log2(6); IDCG over min(5, 3) = 3 positions: 1 + 1/log2(3) + 1/log2(4).
        var dcg = 1 / Math.Log2(3) + 1 / Math.Log2(6);
        var idcg = 1 + 1 / Math.Log2(3) + 0.5;
        Assert.Equal(dcg / idcg, RankingMetrics.NdcgAtK(Ranked, Relevant, 5), 12);
        // At K = 2 the ideal has two positions: 1 + 1/log2(3); only the hit at rank 2 counts.
        Assert.Equal(1 / Math.Log2(3) / (1 + 1 / Math.Log2(3)), RankingMetrics.NdcgAtK(Ranked, Relevant, 2), 12);
    }

    [Fact]
    public void PerfectRankingHasNdcgOne()
    {
        Assert.Equal(1.0, RankingMetrics.NdcgAtK([20, 50, 99, 1], Relevant, 4), 12);
        Assert.Equal(1.0, RankingMetrics.NdcgAtK([20, 50], Relevant, 2), 12);
    }

    [Fact]
    public void MapDividesByRelevantCount()
    {
        // Precision at the hits: 1/2 (rank 2) and 2/5 (rank 5), summed and divided by |relevant| = 3.
        Assert.Equal((0.5 + 0.4) / 3, RankingMetrics.AveragePrecisionAtK(Ranked, Relevant, 5), 12);
    }

    [Fact]
    public void HitRateIsOneWithAnyHit()
    {
        Assert.Equal(0.0, RankingMetrics.HitRateAtK(Ranked, Relevant, 1));
        Assert.Equal(1.0, RankingMetrics.HitRateAtK(Ranked, Relevant, 2));
    }

    [Fact]
    public void EmptyRelevantSetScoresZero()
    {
        var none = new HashSet<int>();
        Assert.Equal(0.0, RankingMetrics.NdcgAtK(Ranked, none, 5));
        Assert.Equal(0.0, RankingMetrics.RecallAtK(Ranked, none, 5));
        Assert.Equal(0.0, RankingMetrics.AveragePrecisionAtK(Ranked, none, 5));
    }
}
