using Orleans.LlmRec.Llm.Reranking;
using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Llm.IntegrationTests;

internal static class TestData
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static ItemInfo Movie(string id, string title, int? year = null, string[]? genres = null, string[]? tags = null) =>
        new(id, title, year, genres ?? []) { Tags = tags ?? [] };

    public static RerankRequest RerankRequest(string userId = "u1", params (string Id, string Title, float Score)[] candidates) => new(
        userId,
        new RerankUserContext("The user enjoys clever science fiction.", "no horror", [Movie("9", "Arrival", 2016, ["Sci-Fi"])]),
        candidates.Select(c => new RerankCandidate(Movie(c.Id, c.Title, genres: ["Drama"]), c.Score)).ToArray());

    public static RerankRequest FiveCandidates(string userId = "u1") => RerankRequest(userId,
        ("1", "Moon", 0.9f), ("2", "Solaris", 0.8f), ("3", "Alien", 0.7f), ("4", "Gravity", 0.6f), ("5", "Her", 0.5f));

    public static object Scores(params (object Id, double Score)[] scores) =>
        new { scores = scores.Select(s => new { itemId = s.Id, score = s.Score }).ToArray() };
}
