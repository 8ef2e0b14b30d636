using System.Numerics.Tensors;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Users;

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

    /// <summary>
    /// Merges <paramref name="trained"/> (best first) with the best new items; at most <paramref name="pool"/> come back.
    /// <paramref name="fromIndex"/>: the new items the model's approximate index found for the user (the candidates
    /// stage above <see cref="FeedOptions.ApproximateAboveItems"/>); only those, and (with exploration on) the fresh
    /// items the exploration slots choose from, are scored. Null: every new item is scored.
    /// </summary>
    public IReadOnlyList<ScoredCandidate> Merge(FeedContext input, IReadOnlyList<ScoredCandidate> trained, int pool, IReadOnlyList<int>? fromIndex = null)
    {
        if (live.Additions.NewCount == 0 || input.Embedding is not { } user) return trained;
        if (live.VectorsFor(input.Model) is not { Rows: { Count: > 0 } rows } table) return trained;
        var n = table.TrainedCount;
        var freshFrom = time.GetUtcNow() - _options.FreshItemWindow;
        // Fresh items are scored beside what the index found only when exploration slots may take them.
        var scored = fromIndex is null ? ScoreAll(input, user, rows, n) : ScoreFound(input, user, rows, n, fromIndex, _options.ExplorationShare > 0 ? freshFrom : null);
        var best = new int[Math.Min(pool, scored.Scores.Length)];
        var found = Recommendation.Evaluation.TopK.Select(scored.Scores, best.Length, best);
        var merged = new List<ScoredCandidate>(Math.Min(pool, trained.Count + found));
        int t = 0, b = 0;
        while (merged.Count < pool && (t < trained.Count || b < found))
        {
            var p = b < found ? best[b] : -1;
            if (p >= 0 && (t == trained.Count || scored.Scores[p] > trained[t].ModelScore))
            {
                merged.Add(new ScoredCandidate(n + scored.RowAt(p), scored.Scores[p]));
                b++;
            }
            else
            {
                merged.Add(trained[t++]);
            }
        }
        return Explore(merged, scored, rows, n, freshFrom, input.Depth);
    }

    /// <summary>Every new item's score (its own vector and bias, the model's formula); excluded ones negative infinity.</summary>
    private static RowScores ScoreAll(FeedContext input, FoldedEmbedding user, NewItemRows rows, int n)
    {
        var offset = input.Model.Model.GlobalBias + user.Bias;
        var scores = new float[rows.Count];
        for (var r = 0; r < rows.Count; r++)
        {
            // Hidden (retired, unavailable) items are in the user's exclusions with what they have seen.
            scores[r] = input.IsExcluded(n + r) ? float.NegativeInfinity : Score(offset, user, rows, r);
        }
        return new RowScores(null, scores);
    }

    /// <summary>
    /// The scores of the new items the index found and of the fresh ones (for the exploration slots), each with its
    /// current vector and bias: the index only names them, as it names trained items for the ONNX graph to score.
    /// </summary>
    private static RowScores ScoreFound(FeedContext input, FoldedEmbedding user, NewItemRows rows, int n, IReadOnlyList<int> fromIndex, DateTimeOffset? freshFrom)
    {
        var offset = input.Model.Model.GlobalBias + user.Bias;
        var picked = new HashSet<int>();
        foreach (var item in fromIndex)
        {
            if ((uint)(item - n) < (uint)rows.Count) picked.Add(item - n);
        }
        for (var r = 0; freshFrom is { } from && r < rows.Count; r++)
        {
            if (rows.PublishedAt[r] >= from) picked.Add(r);
        }
        var order = picked.Where(r => !input.IsExcluded(n + r)).Order().ToArray();
        var scores = new float[order.Length];
        for (var i = 0; i < order.Length; i++) scores[i] = Score(offset, user, rows, order[i]);
        return new RowScores(order, scores);
    }

    private static float Score(float offset, FoldedEmbedding user, NewItemRows rows, int r) =>
        offset + rows.Biases[r] + (rows.Dimension == 0 ? 0f : TensorPrimitives.Dot<float>(user.Vector, rows.Vector(r)));

    /// <summary>Puts the best fresh items that did not earn a place in the first <paramref name="depth"/> slots at every 1/share-th slot.</summary>
    private List<ScoredCandidate> Explore(List<ScoredCandidate> merged, RowScores scored, NewItemRows rows, int n, DateTimeOffset freshFrom, int depth)
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
        var scores = scored.Scores;
        var fresh = Enumerable.Range(0, scores.Length)
            .Where(p => !float.IsNegativeInfinity(scores[p]) && rows.PublishedAt[scored.RowAt(p)] >= freshFrom && !inFeed.Contains(n + scored.RowAt(p)))
            .OrderByDescending(p => scores[p]).ThenBy(scored.RowAt)
            .Take(slots)
            .Select(p => new ScoredCandidate(n + scored.RowAt(p), scores[p]))
            .ToList();
        if (fresh.Count == 0) return merged;
        var stride = Math.Max(1, (int)Math.Round(1 / share));
        var explored = new List<ScoredCandidate>(merged.Count);
        var f = 0;
        foreach (var candidate in merged.Where(c => !fresh.Exists(x => x.Item == c.Item)))
        {
            if (f < fresh.Count && explored.Count == (f + 1) * stride - 1) explored.Add(fresh[f++]);
            explored.Add(candidate);
        }
        while (f < fresh.Count && explored.Count < Math.Max(merged.Count, depth)) explored.Add(fresh[f++]);
        return explored.Count > merged.Count ? explored.GetRange(0, merged.Count) : explored;
    }

    /// <summary>New items' scores: position p is row <c>Rows[p]</c> (row p when <c>Rows</c> is null, every row scored).</summary>
    private readonly record struct RowScores(int[]? Rows, float[] Scores)
    {
        public int RowAt(int position) => Rows is null ? position : Rows[position];
    }
}
