using System.Buffers;
using Orleans.LlmRec.Scoring.Retrieval;

namespace Orleans.LlmRec.Grains.Feeds;

/// <summary>
/// The candidates stage at catalogue sizes where scoring every item costs too much (<see cref="FeedOptions.ApproximateAboveItems"/>):
/// the model's approximate item index names the items nearest the user's vector in score, the user's exclusions are
/// dropped, and the score stage scores what is left exactly (ONNX candidates graph), so every score a feed shows is
/// the model's exact score.
/// </summary>
internal static class ApproximateCandidates
{
    /// <summary>
    /// How many candidates to ask for: <see cref="FeedOptions.ApproximateCandidateFactor"/> × the pool, plus the
    /// user's exclusions (which may all be among the nearest), at most <see cref="FeedOptions.ApproximateMaxCandidates"/>
    /// and never fewer than the pool.
    /// </summary>
    public static int CountFor(int pool, int excluded, int catalogueCount, FeedOptions options)
    {
        var wanted = Math.Min((long)pool * options.ApproximateCandidateFactor + excluded, options.ApproximateMaxCandidates);
        return (int)Math.Min(Math.Max(wanted, pool), catalogueCount);
    }

    /// <summary>
    /// The index's nearest items for <paramref name="userVector"/> that the user may see and the scorer knows
    /// (dense index below <paramref name="scorableItems"/>), best first; those published after training (the live
    /// catalogue adds them to the index) go to <paramref name="newItems"/>, for <see cref="NewItemScoring"/> to score
    /// with their own vectors.
    /// </summary>
    public static int[] Select(ItemVectorIndex index, ReadOnlySpan<float> userVector, int count, int[] excluded, int scorableItems, List<int>? newItems = null)
    {
        var found = ArrayPool<int>.Shared.Rent(count);
        try
        {
            var n = index.Search(userVector, found.AsSpan(0, count));
            var kept = new List<int>(n);
            for (var i = 0; i < n; i++)
            {
                var item = found[i];
                if (FeedFallback.IsExcluded(excluded, item)) continue;
                if (item < scorableItems) kept.Add(item);
                else newItems?.Add(item);
            }
            return [.. kept];
        }
        finally
        {
            ArrayPool<int>.Shared.Return(found);
        }
    }
}
