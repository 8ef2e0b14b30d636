using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>Checks that ONNX Runtime and the baseline return the same top-k, so their timings compare like with like.</summary>
public static class Agreement
{
    /// <summary>Largest relative score difference allowed at the same rank: summation order differs, nothing else may.</summary>
    private const float Tolerance = 1e-4f;

    /// <summary>Throws when any rank's score differs beyond rounding or an excluded item comes back.</summary>
    public static void Check(BenchmarkCatalogue catalogue, OnnxScorer scorer, IReadOnlyList<ScoringRequest> requests)
    {
        var onnx = scorer.ScoreBatchAsync(requests).GetAwaiter().GetResult();
        var scores = new float[catalogue.ItemCount];
        for (var r = 0; r < requests.Count; r++)
        {
            var expected = catalogue.Baseline.Score(requests[r], scores);
            var actual = onnx[r].Items;
            if (expected.Length != actual.Count)
            {
                throw new InvalidOperationException($"Request {r}: the baseline returned {expected.Length} items, ONNX {actual.Count}.");
            }
            var excluded = new HashSet<int>(requests[r].ExcludedItems.ToArray());
            for (var j = 0; j < expected.Length; j++)
            {
                var difference = Math.Abs(expected[j].Score - actual[j].Score);
                if (difference > Tolerance * Math.Max(1f, Math.Abs(expected[j].Score)))
                {
                    throw new InvalidOperationException(
                        $"Request {r}, rank {j}: baseline item {expected[j].Item} scores {expected[j].Score}, ONNX item {actual[j].Item} scores {actual[j].Score}.");
                }
                if (excluded.Contains(actual[j].Item) || excluded.Contains(expected[j].Item))
                {
                    throw new InvalidOperationException($"Request {r}, rank {j}: an excluded item was returned.");
                }
            }
        }
    }
}
