using Orleans.LlmRec.Llm.Reranking;
using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Llm.UnitTests;

internal static class TestItems
{
    public static ItemInfo Movie(string id, string title, int? year = null, string[]? genres = null, string[]? tags = null, string? description = null) =>
        new(id, title, year, genres ?? []) { Tags = tags ?? [], Description = description };

    public static RerankCandidate Candidate(string id, string title, float modelScore, string[]? genres = null, string[]? tags = null) =>
        new(Movie(id, title, genres: genres, tags: tags), modelScore);

    public static RerankRequest Request(string userId, RerankUserContext user, params RerankCandidate[] candidates) =>
        new(userId, user, candidates);
}
