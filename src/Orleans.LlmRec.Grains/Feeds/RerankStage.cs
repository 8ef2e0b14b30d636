using System.Globalization;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Llm;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Llm.Reranking;

namespace Orleans.LlmRec.Grains.Feeds;

/// <summary>
/// The re-rank stage of the feed path (candidates → score → <b>re-rank</b> → feed). It never calls an LLM: with the
/// LLM on, it fuses the model's scores with the re-rank scores the user grain already holds from earlier answers
/// (<c>final = (1-α)·norm(model) + α·llm</c>, <see cref="RerankFusion"/>); the grain asks for new ones off the request
/// path. With the LLM off, it runs the inline <see cref="IReranker"/> (TF-IDF: CPU only, no call) on the user's
/// profile and stated preferences, and fuses that the same way, labelled <c>tfidf fallback</c>; a user who wrote
/// nothing keeps the model order. The LLM layer's <see cref="IReranker"/> is the only re-rank abstraction: this stage
/// is what the feed path does with its scores.
/// </summary>
public sealed class RerankStage
{
    public const string LlmReason = "llm re-rank";
    public const string TfIdfReason = "tfidf fallback";

    private readonly ILlmStatus _status;
    private readonly IReranker _inline;
    private readonly LlmOptions _options;

    public RerankStage(ILlmStatus status, TfIdfReranker tfIdf, IOptions<LlmOptions> options)
        : this(status, (IReranker)tfIdf, options.Value)
    {
    }

    /// <param name="inline">What scores candidates inline with the LLM off; it must not call an LLM.</param>
    internal RerankStage(ILlmStatus status, IReranker inline, LlmOptions options)
    {
        _status = status;
        _inline = inline;
        _options = options;
    }

    /// <summary>Short name shown in logs and notes.</summary>
    public string Name => _status.IsEnabled ? "llm" : "tfidf";

    /// <summary>
    /// The candidates in the order to show, best first. Throwing or cancelling keeps the model order and marks the
    /// feed degraded (the pipeline's concern).
    /// </summary>
    public async Task<RerankedCandidates> RerankAsync(FeedContext context, IReadOnlyList<ScoredCandidate> candidates, ItemCatalogue catalogue, CancellationToken cancellationToken)
    {
        if (candidates.Count == 0) return RerankedCandidates.ModelOrder(candidates);
        if (_status.IsEnabled)
        {
            var covered = candidates.Any(c => context.RerankScores.ContainsKey(c.Item));
            return covered
                ? Fuse(candidates, context.RerankScores, LlmReason)
                : RerankedCandidates.ModelOrder(candidates, context.RerankUnavailable is { } reason ? $"{reason}; model order served" : null);
        }

        // With the LLM off the profile is the user's own words. Without any, TF-IDF would only compare candidates with
        // the user's recent items, which the collaborative model already does better: the model order stands.
        if (string.IsNullOrWhiteSpace(context.Profile) && string.IsNullOrWhiteSpace(context.Preferences)) return RerankedCandidates.ModelOrder(candidates);
        var request = LlmRequests.Rerank(context.UserId, context.Profile, context.Preferences, [], candidates, catalogue, _options.RerankCandidates);
        var result = await _inline.RerankAsync(request, cancellationToken).ConfigureAwait(false);
        if (!result.Succeeded) return RerankedCandidates.ModelOrder(candidates);
        // Back from item ids to dense indexes, at the boundary where the ids were made.
        var scores = new Dictionary<int, float>(result.Scores.Count);
        foreach (var (itemId, score) in result.Scores)
        {
            if (catalogue.TryGetIndex(itemId, out var index)) scores[index] = score;
        }
        return Fuse(candidates, scores, TfIdfReason);
    }

    private RerankedCandidates Fuse(IReadOnlyList<ScoredCandidate> candidates, IReadOnlyDictionary<int, float> scores, string label)
    {
        // Each item once: a duplicate candidate keeps its first place and score.
        var seen = new HashSet<int>(candidates.Count);
        var unique = new List<ScoredCandidate>(candidates.Count);
        foreach (var candidate in candidates)
        {
            if (seen.Add(candidate.Item)) unique.Add(candidate);
        }
        var modelScores = new float[unique.Count];
        var given = new float?[unique.Count];
        for (var i = 0; i < unique.Count; i++)
        {
            modelScores[i] = unique[i].ModelScore;
            given[i] = scores.TryGetValue(unique[i].Item, out var score) ? score : null;
        }
        var alpha = _options.FusionAlpha;
        var fused = RerankFusion.Fuse(modelScores, given, alpha);
        var used = fused.Where(f => f.RerankScore is not null).Select(f => f.RerankScore!.Value).ToList();
        var mean = used.Count > 0 ? used.Average() : 0f;
        var items = fused
            .Select(f => new RerankedCandidate(unique[f.Position].Item, modelScores[f.Position], f.RerankScore, Reason(f, modelScores[f.Position], label, alpha, mean)) { FinalScore = f.FinalScore })
            .ToList();
        return new RerankedCandidates(items, Reordered: true);
    }

    private static string Reason(FusedScore f, float modelScore, string label, float alpha, float mean)
    {
        var model = $"model score {Format(modelScore, "0.###")} (normalised {Format(f.NormalizedModelScore, "0.00")})";
        var final = $"final {Format(f.FinalScore, "0.000")} = (1-α)·model + α·{(label == LlmReason ? "llm" : "tfidf")}, α {Format(alpha, "0.##")}";
        return f.RerankScore is { } score
            ? $"{label} {Format(score, "0.00")}; {model}; {final}"
            : $"{label}: no score for this item yet, the mean {Format(mean, "0.00")} stands in; {model}; {final}";
    }

    private static string Format(float value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
