using System.Globalization;
using System.Text;
using Orleans.LlmRec.Llm.Prompts;

namespace Orleans.LlmRec.Llm.Reranking;

/// <summary>
/// The re-ranker when the LLM is off (labelled <see cref="RerankSource.TfIdf"/>): TF-IDF cosine similarity between the
/// user's text (profile and stated preferences, or their recent items when they wrote nothing) and each candidate's
/// text (title, year, genres, tags, description). Document frequencies come from the candidate set itself, so words
/// every candidate shares weigh little. Scores are divided by the best one, so the closest candidate scores 1 and the
/// scale matches the LLM's [0, 1] in <see cref="RerankFusion"/>.
/// </summary>
public sealed class TfIdfReranker : IReranker
{
    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "he", "her", "his", "i",
        "in", "is", "it", "its", "like", "likes", "me", "my", "not", "of", "on", "or", "she", "so", "that", "the",
        "their", "them", "they", "this", "to", "user", "users", "was", "were", "who", "with", "you", "your",
        "genres", "tags", "description", "enjoys", "enjoy", "prefers", "movies", "movie", "films", "film",
    };

    private readonly int _candidateCount;

    /// <param name="candidateCount">How many of the best candidates are scored (as the LLM re-ranker does).</param>
    public TfIdfReranker(int candidateCount = 50)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(candidateCount, 1);
        _candidateCount = candidateCount;
    }

    public TfIdfReranker(LlmOptions options)
        : this(options.RerankCandidates)
    {
    }

    public RerankSource Source => RerankSource.TfIdf;

    public int EstimateTokens(RerankRequest request) => 0;

    public Task<RerankResult> RerankAsync(RerankRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Task.FromResult(Rerank(request));
    }

    private RerankResult Rerank(RerankRequest request)
    {
        var candidates = LlmReranker.TopCandidates(request.Candidates, _candidateCount);
        if (candidates.Count == 0)
        {
            return RerankResult.Skipped(RerankSource.TfIdf, "No candidates to re-rank.");
        }
        var queryTerms = Tokenize(UserText(request.User));
        if (queryTerms.Count == 0)
        {
            return RerankResult.Skipped(RerankSource.TfIdf, "The user has no profile, preferences or recent items to compare with.");
        }

        var documents = candidates.Select(c => Tokenize(PromptData.ItemText(c.Item, int.MaxValue))).ToArray();
        var documentFrequency = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var document in documents)
        {
            foreach (var term in document.Keys)
            {
                documentFrequency[term] = documentFrequency.GetValueOrDefault(term) + 1;
            }
        }
        double Idf(string term) => Math.Log((1.0 + documents.Length) / (1.0 + documentFrequency.GetValueOrDefault(term))) + 1.0;

        var query = Weigh(queryTerms, Idf);
        var queryNorm = Norm(query);
        var cosines = new double[documents.Length];
        for (var i = 0; i < documents.Length; i++)
        {
            var document = Weigh(documents[i], Idf);
            var documentNorm = Norm(document);
            if (documentNorm == 0)
            {
                continue;
            }
            double dot = 0;
            foreach (var (term, weight) in query)
            {
                if (document.TryGetValue(term, out var documentWeight))
                {
                    dot += weight * documentWeight;
                }
            }
            cosines[i] = dot / (queryNorm * documentNorm);
        }

        var best = cosines.Max();
        if (best <= 0)
        {
            return RerankResult.Skipped(RerankSource.TfIdf, "No candidate shares a word with the user's text.");
        }
        var scores = new Dictionary<string, float>(StringComparer.Ordinal);
        for (var i = 0; i < candidates.Count; i++)
        {
            scores[candidates[i].ItemId] = (float)(cosines[i] / best);
        }
        return new RerankResult(LlmResultStatus.Succeeded, scores, RerankSource.TfIdf, LlmUsage.None,
            new RerankValidation(scores.Count, scores.Count, 0, 0, 0, 0));
    }

    private static string UserText(RerankUserContext user)
    {
        var builder = new StringBuilder();
        builder.AppendLine(user.Profile).AppendLine(user.Preferences);
        if (string.IsNullOrWhiteSpace(builder.ToString()))
        {
            foreach (var item in user.RecentItems)
            {
                builder.AppendLine(PromptData.ItemText(item, int.MaxValue));
            }
        }
        return builder.ToString();
    }

    /// <summary>Lower-cased runs of letters and digits, two characters or longer, without stop words; with counts.</summary>
    internal static Dictionary<string, int> Tokenize(string? text)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(text))
        {
            return counts;
        }
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                if (i - start >= 2)
                {
                    var token = text[start..i].ToLower(CultureInfo.InvariantCulture);
                    if (!StopWords.Contains(token))
                    {
                        counts[token] = counts.GetValueOrDefault(token) + 1;
                    }
                }
                start = -1;
            }
        }
        return counts;
    }

    // Sub-linear term frequency: a word said five times is stronger evidence than once, not five times stronger.
    private static Dictionary<string, double> Weigh(Dictionary<string, int> counts, Func<string, double> idf) =>
        counts.ToDictionary(p => p.Key, p => (1.0 + Math.Log(p.Value)) * idf(p.Key), StringComparer.Ordinal);

    private static double Norm(Dictionary<string, double> vector) => Math.Sqrt(vector.Values.Sum(w => w * w));
}
