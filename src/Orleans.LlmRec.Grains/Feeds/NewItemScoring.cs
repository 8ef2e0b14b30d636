using System.Numerics.Tensors;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Grains.Catalogue;

namespace Orleans.LlmRec.Grains.Feeds;

/// <summary>
/// The score stage's part for items published after training, which the ONNX scorer does not know: an exact top-k over
/// their vectors (<c>global + user bias + item bias + dot</c>, the model's own score), merged with the scorer's top-k
/// over trained items, so a new item can enter any feed the moment it is applied; then the exploration slots
/// (<see cref="FeedOptions.ExplorationShare"/>): fresh items that best match the user, placed one slot in 1/share.
/// </summary>
public sealed class NewItemScoring(LiveCatalogue live, IOptions<FeedOptions> options, TimeProvider time)
{
    private readonly FeedOptions _options = options.Value;

    /// <summary>Merges <paramref name="trained"/> (best first) with the best new items; at most <paramref name="pool"/> come back.</summary>
    public IReadOnlyList<ScoredCandidate> Merge(FeedContext input, IReadOnlyList<ScoredCandidate> trained, int pool)
    {
        if (live.Additions.NewCount == 0 || input.Embedding is not { } user) return trained;
        if (live.VectorsFor(input.Model) is not { Rows: { Count: > 0 } rows } table) return trained;
        var n = table.TrainedCount;
        var offset = input.Model.Model.GlobalBias + user.Bias;
        var scores = new float[rows.Count];
        var freshFrom = time.GetUtcNow() - _options.FreshItemWindow;
        for (var r = 0; r < rows.Count; r++)
        {
            // Hidden (retired, unavailable) items are in the user's exclusions with what they have seen.
            scores[r] = input.IsExcluded(n + r)
                ? float.NegativeInfinity
                : offset + rows.Biases[r] + (rows.Dimension == 0 ? 0f : TensorPrimitives.Dot<float>(user.Vector, rows.Vector(r)));
        }
        var best = new int[Math.Min(pool, rows.Count)];
        var found = Recommendation.Evaluation.TopK.Select(scores, best.Length, best);
        var merged = new List<ScoredCandidate>(Math.Min(pool, trained.Count + found));
        int t = 0, b = 0;
        while (merged.Count < pool && (t < trained.Count || b < found))
        {
            if (b < found && (t == trained.Count || scores[best[b]] > trained[t].ModelScore)) merged.Add(new ScoredCandidate(n + best[b], scores[best[b++]]));
            else merged.Add(trained[t++]);
        }
        return Explore(merged, scores, rows, n, freshFrom, input.Depth);
    }

    /// <summary>Puts the best fresh items that did not earn a place in the first <paramref name="depth"/> slots at every 1/share-th slot.</summary>
    private List<ScoredCandidate> Explore(List<ScoredCandidate> merged, float[] scores, NewItemRows rows, int n, DateTimeOffset freshFrom, int depth)
    {
        var share = _options.ExplorationShare;
        if (share <= 0) return merged;
        var shown = Math.Min(depth, merged.Count);
        var slots = (int)Math.Floor(shown * share);
        var inFeed = new HashSet<int>();
        for (var i = 0; i < shown; i++)
        {
            inFeed.Add(merged[i].Item);
            if (merged[i].Item >= n && rows.PublishedAt[merged[i].Item - n] >= freshFrom) slots--;
        }
        if (slots <= 0) return merged;
        var fresh = Enumerable.Range(0, rows.Count)
            .Where(r => !float.IsNegativeInfinity(scores[r]) && rows.PublishedAt[r] >= freshFrom && !inFeed.Contains(n + r))
            .OrderByDescending(r => scores[r]).ThenBy(r => r)
            .Take(slots)
            .ToList();
        if (fresh.Count == 0) return merged;
        var stride = Math.Max(1, (int)Math.Round(1 / share));
        var explored = new List<ScoredCandidate>(merged.Count);
        var f = 0;
        foreach (var candidate in merged.Where(c => !fresh.Contains(c.Item - n)))
        {
            if (f < fresh.Count && explored.Count == (f + 1) * stride - 1) explored.Add(new ScoredCandidate(n + fresh[f], scores[fresh[f++]]));
            explored.Add(candidate);
        }
        while (f < fresh.Count && explored.Count < Math.Max(merged.Count, depth)) explored.Add(new ScoredCandidate(n + fresh[f], scores[fresh[f++]]));
        return explored.Count > merged.Count ? explored.GetRange(0, merged.Count) : explored;
    }
}
