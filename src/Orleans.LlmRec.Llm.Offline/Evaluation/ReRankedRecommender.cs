using Orleans.LlmRec.Llm.Reranking;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;

namespace Orleans.LlmRec.Llm.Offline.Evaluation;

/// <summary>
/// A base model's ranking with its top <c>rerankTop</c> candidates re-ordered by a re-ranker and
/// <see cref="RerankFusion"/>, as the serving path does, for offline evaluation. Items below the re-ranked head keep
/// the model's order. The re-ranker is called synchronously (the TF-IDF fallback is; an LLM re-ranker works but makes
/// one call per user and query).
/// </summary>
public sealed class ReRankedRecommender
{
    private readonly RatingsDataset _dataset;
    private readonly InteractionMatrix _train;
    private readonly UserScorer _model;
    private readonly IReranker _reRanker;
    private readonly IReadOnlyDictionary<int, string> _profiles;
    private readonly int _rerankTop;
    private readonly float _alpha;
    private readonly ThreadLocal<(float[] Scores, int[] Top)> _buffers;
    private int _reRanked;
    private int _unchanged;

    /// <param name="dataset">Item text (title, genres, tags, description) comes from its <see cref="RatingsDataset.ItemInfo"/>.</param>
    /// <param name="train">The training interactions: their items are never recommended again.</param>
    /// <param name="model">The base model's scores.</param>
    /// <param name="profiles">Profile text by dense user index; users without one keep the model's order.</param>
    /// <param name="rerankTop">How many of the model's best candidates the re-ranker sees (the paper's "search count" is 100).</param>
    /// <param name="alpha">Fusion weight of the re-ranker: 0 is the model's order, 1 the re-ranker's alone.</param>
    public ReRankedRecommender(RatingsDataset dataset, InteractionMatrix train, UserScorer model, IReranker reRanker, IReadOnlyDictionary<int, string> profiles, int rerankTop, float alpha)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(reRanker);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentOutOfRangeException.ThrowIfLessThan(rerankTop, 1);
        if (float.IsNaN(alpha) || alpha is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α must be within [0, 1].");
        }
        _dataset = dataset;
        _train = train;
        _model = model;
        _reRanker = reRanker;
        _profiles = profiles;
        _rerankTop = rerankTop;
        _alpha = alpha;
        _buffers = new ThreadLocal<(float[], int[])>(() => (new float[dataset.ItemCount], new int[rerankTop]));
    }

    /// <summary>Users whose head the re-ranker re-ordered (it may still have kept the order).</summary>
    public int ReRankedUsers => Volatile.Read(ref _reRanked);

    /// <summary>Users left in the model's order (no profile, or the re-ranker had nothing to say).</summary>
    public int UnchangedUsers => Volatile.Read(ref _unchanged);

    /// <summary>As a <see cref="UserScorer"/>: the re-ranked head scores above everything else, in fused order.</summary>
    public void Score(int user, Span<float> scores)
    {
        _model(user, scores);
        PaperHitRate.ExcludeUnrankable(scores, user, _train);
        var top = _buffers.Value.Top;
        var count = TopK.Select(scores, _rerankTop, top);
        if (count == 0)
        {
            return;
        }
        var ceiling = scores[top[0]];
        var fused = Fuse(user, scores, top.AsSpan(0, count));
        for (var r = 0; r < fused.Count; r++)
        {
            scores[fused[r]] = ceiling + (fused.Count - r);
        }
    }

    /// <summary>As a <see cref="TopNRecommender"/>: the first entries of the fused head, then the model's order.</summary>
    public int Recommend(int user, Span<int> ranked)
    {
        var scores = _buffers.Value.Scores;
        Score(user, scores);
        return TopK.Select(scores, ranked.Length, ranked);
    }

    private List<int> Fuse(int user, Span<float> scores, ReadOnlySpan<int> head)
    {
        var order = new List<int>(head.Length);
        foreach (var item in head) order.Add(item);
        if (!_profiles.TryGetValue(user, out var profile) || string.IsNullOrWhiteSpace(profile))
        {
            Interlocked.Increment(ref _unchanged);
            return order;
        }
        var candidates = new RerankCandidate[head.Length];
        var byId = new Dictionary<string, int>(head.Length, StringComparer.Ordinal);
        for (var r = 0; r < head.Length; r++)
        {
            var info = ItemOf(head[r]);
            candidates[r] = new RerankCandidate(info, scores[head[r]]);
            byId[info.ExternalId] = head[r];
        }
        var request = new RerankRequest(_dataset.Users.GetExternalId(user), new RerankUserContext(profile, null, []), candidates);
        var result = _reRanker.RerankAsync(request).GetAwaiter().GetResult();
        if (!result.Succeeded)
        {
            Interlocked.Increment(ref _unchanged);
            return order;
        }
        Interlocked.Increment(ref _reRanked);
        var fused = RerankFusion.Fuse([.. candidates.Select(c => new ModelCandidate(c.ItemId, c.ModelScore))], result.Scores, _alpha);
        return [.. fused.Select(f => byId[f.ItemId])];
    }

    private ItemInfo ItemOf(int item) =>
        _dataset.ItemInfo.TryGetValue(item, out var info) ? info : new ItemInfo(_dataset.Items.GetExternalId(item), _dataset.Items.GetExternalId(item), null, []);
}
