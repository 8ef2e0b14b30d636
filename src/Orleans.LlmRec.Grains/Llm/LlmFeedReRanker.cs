using System.Globalization;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Llm.Reranking;
using Orleans.LlmRec.Recommendation.Data;
using IFeedReRanker = Orleans.LlmRec.Grains.Feeds.IReRanker;

namespace Orleans.LlmRec.Grains.Llm;

/// <summary>
/// The re-rank stage when the LLM layer is wired. It never calls an LLM: with the LLM on, it fuses the model's scores
/// with the re-rank scores the user grain already holds from earlier answers
/// (<c>final = (1-α)·norm(model) + α·llm</c>, <see cref="RerankFusion"/>); the grain asks for new ones off the request
/// path. With the LLM off, it runs the TF-IDF fallback inline (CPU only, well under a millisecond for 50 candidates)
/// on the user's profile and stated preferences, and fuses that the same way, labelled <c>tfidf fallback</c>; a user
/// who wrote nothing keeps the model order.
/// </summary>
public sealed class LlmFeedReRanker : IFeedReRanker
{
    public const string LlmReason = "llm re-rank";
    public const string TfIdfReason = "tfidf fallback";

    private readonly ILlmStatus _status;
    private readonly TfIdfReRanker _tfIdf;
    private readonly LlmOptions _options;

    public LlmFeedReRanker(ILlmStatus status, TfIdfReRanker tfIdf, IOptions<LlmOptions> options)
    {
        _status = status;
        _tfIdf = tfIdf;
        _options = options.Value;
    }

    public string Name => _status.IsEnabled ? "llm" : "tfidf";

    public async Task<ReRankResult> ReRankAsync(ReRankContext context, IReadOnlyList<ScoredCandidate> candidates, CancellationToken cancellationToken)
    {
        if (candidates.Count == 0) return ModelOrder(candidates, note: null);
        if (_status.IsEnabled)
        {
            var covered = candidates.Any(c => context.RerankScores.ContainsKey(context.Catalogue.ItemIdOf(c.Item)));
            return covered
                ? Fuse(context, candidates, context.RerankScores, LlmReason)
                : ModelOrder(candidates, context.RerankUnavailable is { } reason ? $"{reason}; model order served" : null);
        }

        // With the LLM off the profile is the user's own words. Without any, TF-IDF would only compare candidates with
        // the user's recent items, which the collaborative model already does better: the model order stands.
        if (string.IsNullOrWhiteSpace(context.Profile) && string.IsNullOrWhiteSpace(context.Preferences)) return ModelOrder(candidates, note: null);
        var request = new RerankRequest(
            context.UserId,
            new RerankUserContext(context.Profile, context.Preferences, []),
            LlmRequests.TopByModelScore(candidates, _options.RerankCandidates)
                .Select(c => new RerankCandidate(context.Catalogue.InfoOf(c.Item) ?? new ItemInfo(context.Catalogue.ItemIdOf(c.Item), "", null, []), c.ModelScore))
                .ToList());
        var result = await _tfIdf.RerankAsync(request, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? Fuse(context, candidates, result.Scores, TfIdfReason) : ModelOrder(candidates, note: null);
    }

    private ReRankResult Fuse(ReRankContext context, IReadOnlyList<ScoredCandidate> candidates, IReadOnlyDictionary<string, float> scores, string label)
    {
        var indexOf = new Dictionary<string, int>(candidates.Count, StringComparer.Ordinal);
        var modelCandidates = new List<ModelCandidate>(candidates.Count);
        foreach (var candidate in candidates)
        {
            var itemId = context.Catalogue.ItemIdOf(candidate.Item);
            if (!indexOf.TryAdd(itemId, candidate.Item)) continue;
            modelCandidates.Add(new ModelCandidate(itemId, candidate.ModelScore));
        }
        var alpha = _options.FusionAlpha;
        var fused = RerankFusion.Fuse(modelCandidates, scores, alpha);
        var given = fused.Where(f => f.RerankScore is not null).Select(f => f.RerankScore!.Value).ToList();
        var mean = given.Count > 0 ? given.Average() : 0f;
        var items = fused
            .Select(f => new ReRankedCandidate(indexOf[f.ItemId], f.ModelScore, f.RerankScore, Reason(f, label, alpha, mean)) { FinalScore = f.FinalScore })
            .ToList();
        return new ReRankResult(items, Reordered: true);
    }

    private static string Reason(FusedCandidate f, string label, float alpha, float mean)
    {
        var model = $"model score {Format(f.ModelScore, "0.###")} (normalised {Format(f.NormalizedModelScore, "0.00")})";
        var final = $"final {Format(f.FinalScore, "0.000")} = (1-α)·model + α·{(label == LlmReason ? "llm" : "tfidf")}, α {Format(alpha, "0.##")}";
        return f.RerankScore is { } score
            ? $"{label} {Format(score, "0.00")}; {model}; {final}"
            : $"{label}: no score for this item yet, the mean {Format(mean, "0.00")} stands in; {model}; {final}";
    }

    private static ReRankResult ModelOrder(IReadOnlyList<ScoredCandidate> candidates, string? note) =>
        new(candidates.Select(c => new ReRankedCandidate(c.Item, c.ModelScore, null, null)).ToList(), Reordered: false) { DegradedNote = note };

    private static string Format(float value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
