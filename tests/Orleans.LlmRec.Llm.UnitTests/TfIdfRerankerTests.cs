using Orleans.LlmRec.Llm.Reranking;
using static Orleans.LlmRec.Llm.UnitTests.TestItems;

namespace Orleans.LlmRec.Llm.UnitTests;

public class TfIdfRerankerTests
{
    private static readonly RerankCandidate[] SpaceAndRomance =
    [
        Candidate("sw", "Star Wars", 0.9f, ["Sci-Fi", "Adventure"], ["space"]),
        Candidate("nh", "Notting Hill", 0.8f, ["Romance", "Comedy"]),
        Candidate("we", "WALL-E", 0.7f, ["Animation"], ["robots", "space"]),
    ];

    [Fact]
    public async Task Ranks_a_hand_worked_example()
    {
        // Query terms: loves, space, adventure, robots. Three documents, idf = ln(4 / (1 + df)) + 1:
        //   space (df 2) 1.2877; adventure, robots and every other document word (df 1) 1.6931.
        // Star Wars: star, wars, sci, fi, adventure (1.6931 each), space → norm 3.9990; dot with query 4.5245.
        // WALL-E: wall, animation, robots (1.6931 each), space → norm 3.2026; dot 4.5245 (same shared weight).
        // Notting Hill shares no word: 0. Shorter WALL-E wins; Star Wars scores 3.2026 / 3.9990 = 0.8009 of it.
        var reranker = new TfIdfReranker();
        var request = Request("u1", new RerankUserContext("The user loves space adventure and robots.", null, []), SpaceAndRomance);

        var result = await reranker.RerankAsync(request);

        Assert.Equal(LlmResultStatus.Succeeded, result.Status);
        Assert.Equal(RerankSource.TfIdf, result.Source);
        Assert.Equal(1f, result.Scores["we"], 4);
        Assert.Equal(0.8009f, result.Scores["sw"], 3);
        Assert.Equal(0f, result.Scores["nh"]);
        Assert.Equal(0, result.Usage.TotalTokens);
    }

    [Fact]
    public async Task Stated_preferences_count_like_a_profile()
    {
        var request = Request("u1", new RerankUserContext(null, "romance and comedy, please", []), SpaceAndRomance);

        var result = await new TfIdfReranker().RerankAsync(request);

        Assert.Equal("nh", result.Scores.MaxBy(s => s.Value).Key);
    }

    [Fact]
    public async Task Falls_back_to_recent_items_when_the_user_wrote_nothing()
    {
        var recent = new[] { Movie("x", "Sleepless in Seattle", 1993, ["Romance", "Comedy"]) };
        var request = Request("u1", new RerankUserContext(null, "  ", recent), SpaceAndRomance);

        var result = await new TfIdfReranker().RerankAsync(request);

        Assert.Equal(LlmResultStatus.Succeeded, result.Status);
        Assert.Equal("nh", result.Scores.MaxBy(s => s.Value).Key);
    }

    [Fact]
    public async Task Skips_when_there_is_nothing_to_compare_with()
    {
        var result = await new TfIdfReranker().RerankAsync(Request("u1", RerankUserContext.Empty, SpaceAndRomance));

        Assert.Equal(LlmResultStatus.Skipped, result.Status);
        Assert.Empty(result.Scores);
    }

    [Fact]
    public async Task Skips_when_no_candidate_shares_a_word()
    {
        var result = await new TfIdfReranker().RerankAsync(Request("u1", new RerankUserContext("westerns", null, []), SpaceAndRomance));

        Assert.Equal(LlmResultStatus.Skipped, result.Status);
    }

    [Fact]
    public async Task Scores_only_the_best_candidates_by_model_score()
    {
        var result = await new TfIdfReranker(candidateCount: 2)
            .RerankAsync(Request("u1", new RerankUserContext("space robots romance", null, []), SpaceAndRomance));

        Assert.Equal(["nh", "sw"], result.Scores.Keys.Order());
    }

    [Fact]
    public void Tokenizer_lowercases_splits_on_punctuation_and_drops_stop_words()
    {
        var tokens = TfIdfReranker.Tokenize("The User likes Sci-Fi, SPACE and space; a X-Men film!");

        Assert.Equal(2, tokens["space"]);
        Assert.Equal(1, tokens["sci"]);
        Assert.Equal(1, tokens["men"]);
        Assert.False(tokens.ContainsKey("the"));
        Assert.False(tokens.ContainsKey("user"));
        Assert.False(tokens.ContainsKey("x"));
        Assert.False(tokens.ContainsKey("film"));
    }
}
