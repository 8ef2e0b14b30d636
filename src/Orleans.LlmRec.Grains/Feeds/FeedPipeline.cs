using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Grains.Feeds;

/// <param name="Feed">The feed, deeper than one request needs.</param>
/// <param name="Personalised">True when the full pipeline produced it: worth caching as the user's last good feed.</param>
/// <param name="Degraded">True when it is not what the full pipeline would give (a fallback rung, or the re-ranker failed).</param>
/// <param name="Note">Why it is degraded or which fallback served it.</param>
public sealed record FeedOutcome(RankedFeed Feed, bool Personalised, bool Degraded, string? Note)
{
    /// <summary>The score stage's candidates in model order (empty when scoring did not run): what an LLM re-rank is asked about.</summary>
    public IReadOnlyList<ScoredCandidate> Scored { get; init; } = [];
}

/// <summary>The candidates stage's answer: what to score for a user.</summary>
/// <param name="Excluded">Dense indexes never to return, sorted ascending.</param>
/// <param name="Candidates">Dense indexes to score, or null for the whole catalogue (the ONNX graph masks the excluded).</param>
/// <param name="EligibleCount">How many items can be returned at all.</param>
public sealed record CandidateSet(int[] Excluded, int[]? Candidates, int EligibleCount)
{
    /// <summary>True when the candidates came from the model's approximate item index (<see cref="ApproximateCandidates"/>).</summary>
    public bool FromIndex { get; init; }

    /// <summary>
    /// With <see cref="FromIndex"/>: the items published after training that the index found (not excluded), which
    /// <see cref="NewItemScoring"/> scores instead of every new item; null on the exact path.
    /// </summary>
    public IReadOnlyList<int>? NewItems { get; init; }
}

/// <summary>
/// The feed path after the user grain: <b>candidates</b> → <b>score</b> → <b>re-rank</b> → <b>feed</b>, each a
/// method of that name, with the fallback ladder when scoring fails or runs over its budget: personalised → the last
/// good feed kept in grain state → popular items. Stateless and shared by all grains of a silo.
/// </summary>
public sealed partial class FeedPipeline
{
    public const string ModelStage = "model";
    public const string RerankedStage = "reranked";

    private readonly IScorer _scorer;
    private readonly RerankStage _reranker;
    private readonly FeedOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<FeedPipeline> _logger;
    private readonly NewItemScoring? _newItems;

    public FeedPipeline(SiloModel serving, RerankStage reranker, IOptions<FeedOptions> options, TimeProvider time, ILogger<FeedPipeline> logger, NewItemScoring? newItems = null)
        : this(serving.Catalogue, serving.Scorer, reranker, options.Value, time, logger, newItems)
    {
    }

    internal FeedPipeline(ItemCatalogue catalogue, IScorer scorer, RerankStage reranker, FeedOptions options, TimeProvider time, ILogger<FeedPipeline> logger, NewItemScoring? newItems = null)
    {
        _newItems = newItems;
        Catalogue = catalogue;
        _scorer = scorer;
        _reranker = reranker;
        _options = options;
        _time = time;
        _logger = logger;
    }

    public ItemCatalogue Catalogue { get; }

    public async Task<FeedOutcome> BuildAsync(FeedContext input, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        if (input.IsColdStart)
        {
            // A user the model knows nothing about: popular items are the honest answer, and not a degradation. Once
            // they have written preferences or have a profile, those re-rank the popular pool (blended with popularity
            // by the re-ranker's fusion), so their first feed already leans their way.
            var popular = FeedFallback.Build(null, input.Excluded, Catalogue, input.Depth, input.Model.Version, now);
            const string coldNote = "cold start: popular items until the user's first interactions";
            if (string.IsNullOrWhiteSpace(input.Preferences) && string.IsNullOrWhiteSpace(input.Profile))
            {
                return new FeedOutcome(popular, Personalised: false, Degraded: false, coldNote);
            }
            var pool = PopularCandidates(input);
            var blend = await RerankAsync(input, pool, cancellationToken);
            if (!blend.Reordered)
            {
                return new FeedOutcome(popular, Personalised: false, Degraded: blend.DegradedNote is not null, blend.DegradedNote ?? coldNote) { Scored = pool };
            }
            var coldFeed = AssembleFeed(blend.Items, reordered: true, input.Model.Version, now, input.Depth);
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
            var fallback = FeedFallback.Build(input.LastGoodFeed, input.Excluded, Catalogue, input.Depth, input.Model.Version, now);
            var fromLastGood = fallback.Items.Count(i => i.Stage == FeedFallback.LastGoodStage);
            return new FeedOutcome(fallback, Personalised: false, Degraded: true,
                $"{e.Message}; served {fromLastGood} item(s) of the last good feed and {fallback.Items.Count - fromLastGood} popular item(s)");
        }

        var reranked = await RerankAsync(input, scored, cancellationToken);
        var feed = AssembleFeed(reranked.Items, reranked.Reordered, scoredVersion, now, input.Depth);
        var note = reranked.DegradedNote;
        return new FeedOutcome(feed, Personalised: note is null, Degraded: note is not null, note) { Scored = scored };
    }

    /// <summary>
    /// The cold-start candidates: the most popular items the user may see, as many as a re-rank pool holds, each with
    /// its popularity share as the score the re-ranker fuses with.
    /// </summary>
    private List<ScoredCandidate> PopularCandidates(FeedContext input)
    {
        var pool = Math.Max(input.Depth, _options.RerankPoolSize);
        var candidates = new List<ScoredCandidate>(pool);
        foreach (var index in Catalogue.PopularItems)
        {
            if (candidates.Count == pool) break;
            if (input.IsExcluded(index)) continue;
            candidates.Add(new ScoredCandidate(index, Catalogue.PopularityOf(index)));
        }
        return candidates;
    }

    /// <summary>
    /// Stage <b>candidates</b>: the whole catalogue minus what the user has seen or disliked; from
    /// <see cref="FeedOptions.ApproximateAboveItems"/> items on, once the model's item index is built, the index's
    /// nearest items for the user instead (<see cref="ApproximateCandidates"/>).
    /// </summary>
    public CandidateSet SelectCandidates(FeedContext input)
    {
        var exact = new CandidateSet(input.Excluded, Candidates: null, Catalogue.Count - input.Excluded.Length);
        if (Catalogue.Count < _options.ApproximateAboveItems || input.Embedding is not { } embedding
            || input.Model.ItemIndex.Ready is not { } index || embedding.Vector.Length != index.Dimension)
        {
            return exact;
        }
        var pool = Math.Max(input.Depth, _options.RerankPoolSize);
        // The index also holds the items published since training (LiveCatalogue adds them).
        var count = ApproximateCandidates.CountFor(pool, input.Excluded.Length, Catalogue.TotalCount, _options);
        try
        {
            var newItems = new List<int>();
            var candidates = ApproximateCandidates.Select(index, embedding.Vector, count, input.Excluded, _scorer.Model.ItemCount, newItems);
            // Fewer than a pool left after the exclusions (a user who has seen most of what is near them): score everything.
            if (candidates.Length < Math.Min(pool, exact.EligibleCount)) return exact;
            System.Diagnostics.Activity.Current?.SetTag("llmrec.candidates", candidates.Length);
            return new CandidateSet(input.Excluded, candidates, candidates.Length) { FromIndex = true, NewItems = newItems };
        }
        catch (ObjectDisposedException)
        {
            // The model was swapped while this feed was being built: its index is gone, the exact path still serves.
            return exact;
        }
    }

    /// <summary>
    /// Stage <b>score</b>: ranks the candidates with the served model, within <see cref="FeedOptions.ScoringBudget"/>.
    /// Any failure or overrun becomes a <see cref="ScoringFailedException"/> that sends the feed down the fallback ladder.
    /// </summary>
    public async Task<(IReadOnlyList<ScoredCandidate> Items, string ModelVersion)> ScoreAsync(FeedContext input, CandidateSet candidates, CancellationToken cancellationToken)
    {
        using var span = FeedTracing.Source.StartActivity(FeedTracing.ScoreSpan);
        var pool = Math.Max(input.Depth, _options.RerankPoolSize);
        var k = Math.Min(pool, candidates.EligibleCount);
        if (k <= 0) return (_newItems?.Merge(input, [], pool, candidates.NewItems) ?? [], input.Model.Version);
        var embedding = input.Embedding!;
        // The scorer knows the trained items only: the exclusions (sorted) of items published since are for NewItemScoring.
        // The index's candidates were rid of the exclusions when chosen: sending them again would only make the
        // scorer mask them (a set built per request) for nothing.
        var request = new ScoringRequest(embedding.Vector, embedding.Bias, k)
        {
            ExcludedItems = candidates.FromIndex ? ReadOnlyMemory<int>.Empty : candidates.Excluded.AsMemory(0, TrainedPrefix(candidates.Excluded, Catalogue.Count)),
            Candidates = candidates.Candidates,
        };
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(_options.ScoringBudget);
        try
        {
            // WaitAsync bounds the wait even for a scorer that ignores its token.
            var result = await _scorer.ScoreAsync(request, budget.Token).WaitAsync(_options.ScoringBudget, _time, cancellationToken);
            var scored = result.Items.Select(i => new ScoredCandidate(i.Item, i.Score)).ToList();
            return (_newItems?.Merge(input, scored, pool, candidates.NewItems) ?? scored, result.ModelVersion);
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

    /// <summary>How many of the sorted <paramref name="excluded"/> are trained items (indexes below <paramref name="trainedCount"/>).</summary>
    private static int TrainedPrefix(int[] excluded, int trainedCount)
    {
        var at = Array.BinarySearch(excluded, trainedCount);
        return at >= 0 ? at : ~at;
    }

    /// <summary>Stage <b>re-rank</b>: <see cref="RerankStage"/>; on failure the model order stands and the note says why.</summary>
    public async Task<RerankedCandidates> RerankAsync(FeedContext input, IReadOnlyList<ScoredCandidate> scored, CancellationToken cancellationToken)
    {
        using var span = FeedTracing.Source.StartActivity(FeedTracing.RerankSpan);
        try
        {
            return await _reranker.RerankAsync(input, scored, Catalogue, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogRerankFailed(_logger, e, input.UserId, _reranker.Name);
            return RerankedCandidates.ModelOrder(scored, $"re-ranker '{_reranker.Name}' failed ({e.GetType().Name}); model order kept");
        }
    }

    /// <summary>Stage <b>feed</b>: the final order, where dense indexes become item ids again.</summary>
    public RankedFeed AssembleFeed(IReadOnlyList<RerankedCandidate> items, bool reordered, string modelVersion, DateTimeOffset now, int depth) => new()
    {
        Items = items.Take(depth).Select(c => new RankedFeedItem
        {
            ItemId = Catalogue.ItemIdOf(c.Item),
            ModelScore = c.ModelScore,
            RerankScore = c.RerankScore,
            Reason = c.Reason,
            Stage = reordered ? RerankedStage : ModelStage,
            FinalScore = c.FinalScore,
        }).ToList(),
        Source = reordered ? FeedSource.Reranked : FeedSource.Model,
        ModelVersion = modelVersion,
        GeneratedAt = now,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Feed for user {UserId} falls back: {Reason}")]
    private static partial void LogScoringFailed(ILogger logger, Exception exception, string userId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Re-ranker {Reranker} failed for user {UserId}; keeping the model order")]
    private static partial void LogRerankFailed(ILogger logger, Exception exception, string userId, string reranker);
}

/// <summary>The score stage did not deliver in time or at all; the feed takes the fallback ladder.</summary>
public sealed class ScoringFailedException(string message, Exception? inner) : Exception(message, inner);
