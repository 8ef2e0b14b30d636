using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Grains.Feeds;

/// <summary>What the user grain hands the pipeline: the user as of now, and how deep a feed to build.</summary>
public sealed record FeedInput
{
    public required string UserId { get; init; }
    public required ServedModel Model { get; init; }
    public FoldedEmbedding? Embedding { get; init; }

    /// <summary>Items never to show this user (history and dislikes); request-level exclusions are applied later.</summary>
    public required IReadOnlySet<string> ExcludedItemIds { get; init; }
    public IReadOnlyList<string> RecentItemIds { get; init; } = [];
    public string? Preferences { get; init; }
    public string? Profile { get; init; }
    public StoredFeed? LastGoodFeed { get; init; }
    public required int Depth { get; init; }

    /// <summary>Re-rank scores the grain holds from earlier LLM answers, by item id (empty when none).</summary>
    public IReadOnlyDictionary<string, float> RerankScores { get; init; } = EmptyScores;

    /// <summary>Why the LLM cannot re-rank now (its last job for this user failed, or its circuit is open); null when it can.</summary>
    public string? RerankUnavailable { get; init; }

    private static readonly IReadOnlyDictionary<string, float> EmptyScores = new Dictionary<string, float>(StringComparer.Ordinal);

    /// <summary>A user with nothing the model can fold in (no history, or only unknown items).</summary>
    public bool IsColdStart => Embedding is null || Embedding.UsedInteractions == 0;
}

/// <param name="Feed">The feed, deeper than one request needs.</param>
/// <param name="Personalised">True when the full pipeline produced it: worth caching as the user's last good feed.</param>
/// <param name="Degraded">True when it is not what the full pipeline would give (a fallback rung, or the re-ranker failed).</param>
/// <param name="Note">Why it is degraded or which fallback served it.</param>
public sealed record FeedOutcome(StoredFeed Feed, bool Personalised, bool Degraded, string? Note)
{
    /// <summary>The score stage's candidates in model order (empty when scoring did not run): what an LLM re-rank is asked about.</summary>
    public IReadOnlyList<ScoredCandidate> Scored { get; init; } = [];
}

/// <summary>The candidates stage's answer: what to score for a user.</summary>
/// <param name="Excluded">Dense indexes never to return.</param>
/// <param name="Candidates">Dense indexes to score, or null for the whole catalogue (the ONNX graph masks the excluded).</param>
/// <param name="EligibleCount">How many items can be returned at all.</param>
public sealed record CandidateSet(int[] Excluded, int[]? Candidates, int EligibleCount);

/// <summary>
/// The feed path after the user grain: <b>candidates</b> → <b>score</b> → <b>re-rank</b> → <b>feed</b>, each a
/// method of that name, with the fallback ladder when scoring fails or runs over its budget: personalised → the last
/// good feed kept in grain state → popular items. Stateless and shared by all grains of a silo.
/// </summary>
public sealed partial class FeedPipeline
{
    public const string ModelStage = "model";
    public const string ReRankedStage = "reranked";

    private readonly IScorer _scorer;
    private readonly IReRanker _reRanker;
    private readonly FeedOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<FeedPipeline> _logger;

    public FeedPipeline(ModelServing serving, IReRanker reRanker, IOptions<FeedOptions> options, TimeProvider time, ILogger<FeedPipeline> logger)
        : this(serving.Catalogue, serving.Scorer, reRanker, options.Value, time, logger)
    {
    }

    internal FeedPipeline(Catalogue.ItemCatalogue catalogue, IScorer scorer, IReRanker reRanker, FeedOptions options, TimeProvider time, ILogger<FeedPipeline> logger)
    {
        Catalogue = catalogue;
        _scorer = scorer;
        _reRanker = reRanker;
        _options = options;
        _time = time;
        _logger = logger;
    }

    public Catalogue.ItemCatalogue Catalogue { get; }

    public async Task<FeedOutcome> BuildAsync(FeedInput input, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        if (input.IsColdStart)
        {
            // A user the model knows nothing about: popular items are the honest answer, and not a degradation. Once
            // they have written preferences or have a profile, those re-rank the popular pool (blended with popularity
            // by the re-ranker's fusion), so their first feed already leans their way.
            var popular = FeedFallback.Build(null, input.ExcludedItemIds, Catalogue, input.Depth, input.Model.Version, now);
            const string coldNote = "cold start: popular items until the user's first interactions";
            if (string.IsNullOrWhiteSpace(input.Preferences) && string.IsNullOrWhiteSpace(input.Profile))
            {
                return new FeedOutcome(popular, Personalised: false, Degraded: false, coldNote);
            }
            var pool = PopularCandidates(input);
            var (blended, reorderedByText, blendNote) = await ReRankAsync(input, pool, cancellationToken);
            if (!reorderedByText)
            {
                return new FeedOutcome(popular, Personalised: false, Degraded: blendNote is not null, blendNote ?? coldNote) { Scored = pool };
            }
            var coldFeed = AssembleFeed(blended, reordered: true, input.Model.Version, now, input.Depth);
            return new FeedOutcome(coldFeed, Personalised: false, Degraded: false, "cold start: popular items re-ranked by the user's preferences and profile") { Scored = pool };
        }

        var candidates = SelectCandidates(input);
        IReadOnlyList<ScoredCandidate> scored;
        string scoredVersion;
        try
        {
            (scored, scoredVersion) = await ScoreAsync(input, candidates, cancellationToken);
            if (scoredVersion != input.Model.Version)
            {
                // A model swap landed between the fold-in and the scoring: the user's vector belongs to another model.
                throw new ScoringFailedException($"the model changed during the request ({input.Model.Version} → {scoredVersion})", null);
            }
        }
        catch (ScoringFailedException e)
        {
            LogScoringFailed(_logger, e, input.UserId, e.Message);
            var fallback = FeedFallback.Build(input.LastGoodFeed, input.ExcludedItemIds, Catalogue, input.Depth, input.Model.Version, now);
            var fromLastGood = fallback.Items.Count(i => i.Stage == FeedFallback.LastGoodStage);
            return new FeedOutcome(fallback, Personalised: false, Degraded: true,
                $"{e.Message}; served {fromLastGood} item(s) of the last good feed and {fallback.Items.Count - fromLastGood} popular item(s)");
        }

        var (reRanked, reordered, reRankNote) = await ReRankAsync(input, scored, cancellationToken);
        var feed = AssembleFeed(reRanked, reordered, scoredVersion, now, input.Depth);
        return new FeedOutcome(feed, Personalised: reRankNote is null, Degraded: reRankNote is not null, reRankNote) { Scored = scored };
    }

    /// <summary>
    /// The cold-start candidates: the most popular items the user may see, as many as a re-rank pool holds, each with
    /// its popularity share as the score the re-ranker fuses with.
    /// </summary>
    private List<ScoredCandidate> PopularCandidates(FeedInput input)
    {
        var pool = Math.Max(input.Depth, _options.ReRankPoolSize);
        var candidates = new List<ScoredCandidate>(pool);
        foreach (var index in Catalogue.PopularItems)
        {
            if (candidates.Count == pool) break;
            if (input.ExcludedItemIds.Contains(Catalogue.ItemIdOf(index))) continue;
            candidates.Add(new ScoredCandidate(index, Catalogue.PopularityOf(index)));
        }
        return candidates;
    }

    /// <summary>Stage <b>candidates</b>: the whole catalogue minus what the user has seen or disliked.</summary>
    public CandidateSet SelectCandidates(FeedInput input)
    {
        var excluded = new List<int>(input.ExcludedItemIds.Count);
        foreach (var itemId in input.ExcludedItemIds)
        {
            if (Catalogue.TryGetIndex(itemId, out var index)) excluded.Add(index);
        }
        excluded.Sort();
        return new CandidateSet(excluded.ToArray(), Candidates: null, Catalogue.Count - excluded.Count);
    }

    /// <summary>
    /// Stage <b>score</b>: ranks the candidates with the served model, within <see cref="FeedOptions.ScoringBudget"/>.
    /// Any failure or overrun becomes a <see cref="ScoringFailedException"/> that sends the feed down the fallback ladder.
    /// </summary>
    public async Task<(IReadOnlyList<ScoredCandidate> Items, string ModelVersion)> ScoreAsync(FeedInput input, CandidateSet candidates, CancellationToken cancellationToken)
    {
        var pool = Math.Max(input.Depth, _options.ReRankPoolSize);
        var k = Math.Min(pool, candidates.EligibleCount);
        if (k <= 0) return ([], input.Model.Version);
        var embedding = input.Embedding!;
        var request = new ScoringRequest(embedding.Vector, embedding.Bias, k)
        {
            ExcludedItems = candidates.Excluded,
            Candidates = candidates.Candidates,
        };
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(_options.ScoringBudget);
        try
        {
            // WaitAsync bounds the wait even for a scorer that ignores its token.
            var result = await _scorer.ScoreAsync(request, budget.Token).WaitAsync(_options.ScoringBudget, _time, cancellationToken);
            return (result.Items.Select(i => new ScoredCandidate(i.Item, i.Score)).ToList(), result.ModelVersion);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new ScoringFailedException($"scoring exceeded its budget of {_options.ScoringBudget.TotalMilliseconds:0.###} ms", e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ScoringFailedException($"scoring failed ({e.GetType().Name}: {e.Message})", e);
        }
    }

    /// <summary>Stage <b>re-rank</b>: the configured <see cref="IReRanker"/>; on failure the model order stands and the note says why.</summary>
    public async Task<(IReadOnlyList<ReRankedCandidate> Items, bool Reordered, string? Note)> ReRankAsync(FeedInput input, IReadOnlyList<ScoredCandidate> scored, CancellationToken cancellationToken)
    {
        var context = new ReRankContext(input.UserId, input.Preferences, input.Profile, input.RecentItemIds, Catalogue, input.Depth)
        {
            RerankScores = input.RerankScores,
            RerankUnavailable = input.RerankUnavailable,
        };
        try
        {
            var result = await _reRanker.ReRankAsync(context, scored, cancellationToken);
            var known = scored.Select(s => s.Item).ToHashSet();
            if (result.Items.Any(i => !known.Contains(i.Item)))
            {
                throw new InvalidOperationException($"re-ranker '{_reRanker.Name}' returned an item that was not a candidate");
            }
            return (result.Items, result.Reordered, result.DegradedNote);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogReRankFailed(_logger, e, input.UserId, _reRanker.Name);
            var modelOrder = scored.Select(s => new ReRankedCandidate(s.Item, s.ModelScore, null, null)).ToList();
            return (modelOrder, false, $"re-ranker '{_reRanker.Name}' failed ({e.GetType().Name}); model order kept");
        }
    }

    /// <summary>Stage <b>feed</b>: the final order as stored and served.</summary>
    public StoredFeed AssembleFeed(IReadOnlyList<ReRankedCandidate> items, bool reordered, string modelVersion, DateTimeOffset now, int depth) => new()
    {
        Items = items.Take(depth).Select(c => new StoredFeedItem
        {
            ItemId = Catalogue.ItemIdOf(c.Item),
            ModelScore = c.ModelScore,
            RerankScore = c.RerankScore,
            Reason = c.Reason,
            Stage = reordered ? ReRankedStage : ModelStage,
            FinalScore = c.FinalScore,
        }).ToList(),
        Source = reordered ? FeedSource.Reranked : FeedSource.Model,
        ModelVersion = modelVersion,
        GeneratedAt = now,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Feed for user {UserId} falls back: {Reason}")]
    private static partial void LogScoringFailed(ILogger logger, Exception exception, string userId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-ranker {ReRanker} failed for user {UserId}; keeping the model order")]
    private static partial void LogReRankFailed(ILogger logger, Exception exception, string userId, string reRanker);
}

/// <summary>The score stage did not deliver in time or at all; the feed takes the fallback ladder.</summary>
public sealed class ScoringFailedException(string message, Exception? inner) : Exception(message, inner);
