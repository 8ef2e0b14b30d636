using Orleans.LlmRec.Recommendation.Evaluation;

namespace Orleans.LlmRec.Recommendation.UnitTests.Evaluation;

public class TopKTests
{
    [Fact]
    public void ReturnsLargestFirstWithTiesToLowerIndex()
    {
        float[] scores = [0.1f, 0.9f, 0.5f, 0.9f, float.NegativeInfinity, 0.7f];
        var top = new int[4];
        Assert.Equal(4, TopK.Select(scores, 4, top));
        Assert.Equal([1, 3, 5, 2], top);
    }

    [Fact]
    public void SkipsExcludedItemsAndReturnsFewerWhenShort()
    {
        float[] scores = [float.NegativeInfinity, 2f, float.NaN];
        var top = new int[3];
        Assert.Equal(1, TopK.Select(scores, 3, top));
        Assert.Equal(1, top[0]);
    }

    [Fact]
    public void AgreesWithFullSortOnRandomScores()
    {
        var rng = new Random(7);
        for (var trial = 0; trial < 50; trial++)
        {
            var scores = Enumerable.Range(0, 500).Select(_ => (float)rng.NextDouble()).ToArray();
            var k = rng.Next(1, 60);
            var top = new int[k];
            TopK.Select(scores, k, top);
            var expected = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).Take(k);
            Assert.Equal(expected, top);
        }
    }
}
