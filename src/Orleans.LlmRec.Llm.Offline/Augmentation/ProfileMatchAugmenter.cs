using Orleans.LlmRec.Llm.Offline.Prompts;
using Orleans.LlmRec.Llm.Reranking;

namespace Orleans.LlmRec.Llm.Offline.Augmentation;

/// <summary>
/// A deterministic, offline stand-in for the LLM's choice in <see cref="GraphAugmenter"/>, for measuring the training
/// side of augmentation where no LLM is reachable. It is a simulation, not an LLM result: the "liked" candidate is the
/// one whose text (title, genres, tags, description) best matches the user's profile by TF-IDF cosine, the "disliked"
/// one the worst match (ties go to the model's order). Triples carry <see cref="ModelName"/> as their model, and the
/// hash of the prompt an LLM would have been sent, so they are never mistaken for LLM output.
/// </summary>
public static class ProfileMatchAugmenter
{
    public const string ModelName = "simulated:tfidf-profile-match";

    /// <summary>The pair for one user, or null when there are fewer than two candidates or nothing to match on.</summary>
    public static AugmentedTriple? Choose(AugmentationUser user, DateTimeOffset createdAt, int maxHistoryItems = 20, int maxDescriptionChars = 200)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.Candidates.Select(c => c.ExternalId).Distinct(StringComparer.Ordinal).Count() < 2)
        {
            return null;
        }
        // Candidates arrive best first; a falling pseudo-score keeps that order for the re-ranker's tie-breaks.
        var candidates = user.Candidates.Select((item, rank) => new RerankCandidate(item, -rank)).ToArray();
        var request = new RerankRequest(user.UserId, new RerankUserContext(user.Profile, null, user.History), candidates);
        var result = new TfIdfReranker(candidates.Length).RerankAsync(request).GetAwaiter().GetResult();
        if (!result.Succeeded)
        {
            return null;
        }
        float ScoreOf(RerankCandidate c) => result.Scores.GetValueOrDefault(c.ItemId);
        // First best match is liked; among the rest, the last (lowest by the model) of the worst matches is disliked.
        var liked = candidates.MaxBy(ScoreOf)!.ItemId;
        var worst = candidates.Where(c => c.ItemId != liked).Min(ScoreOf);
        var disliked = candidates.Last(c => c.ItemId != liked && ScoreOf(c) == worst).ItemId;
        var prompt = AugmentationPrompt.Hash(AugmentationPrompt.Build(user, maxHistoryItems, maxDescriptionChars));
        return new AugmentedTriple(user.UserId, liked, disliked, ModelName, prompt, createdAt);
    }

    /// <summary>Chooses for every user and writes the triples; returns the summary a real run would.</summary>
    public static async Task<AugmentationSummary> AugmentAsync(
        IEnumerable<AugmentationUser> users, AugmentedTripleWriter writer, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(writer);
        var clock = timeProvider ?? TimeProvider.System;
        int done = 0, triples = 0, skipped = 0;
        foreach (var user in users)
        {
            cancellationToken.ThrowIfCancellationRequested();
            done++;
            if (Choose(user, clock.GetUtcNow()) is { } triple)
            {
                await writer.WriteAsync(triple, cancellationToken).ConfigureAwait(false);
                triples++;
            }
            else
            {
                skipped++;
            }
        }
        return new AugmentationSummary(done, triples, 0, skipped, 0, 0);
    }
}
