using Orleans.LlmRec.Llm.Reranking;

namespace Orleans.LlmRec.Llm.UnitTests;

public class RerankValidatorTests
{
    private static readonly IReadOnlySet<string> Candidates = new HashSet<string>(StringComparer.Ordinal) { "1", "2", "3", "4" };

    private static RerankAnswer Answer(params (string? Id, double? Score)[] entries) =>
        new() { Scores = entries.Select(e => new RerankAnswerEntry { ItemId = e.Id, Score = e.Score }).ToList() };

    [Fact]
    public void Keeps_candidate_scores_as_given()
    {
        var (scores, report) = RerankValidator.Validate(Answer(("1", 0.9), ("2", 0.1)), Candidates);

        Assert.Equal(2, scores.Count);
        Assert.Equal(0.9f, scores["1"]);
        Assert.Equal(0.1f, scores["2"]);
        Assert.Equal(new RerankValidation(2, 2, 0, 0, 0, 0), report);
    }

    [Fact]
    public void Drops_ids_outside_the_candidate_set_and_counts_them()
    {
        var (scores, report) = RerankValidator.Validate(Answer(("1", 0.5), ("999", 1.0), ("X", 1.0), (null, 1.0)), Candidates);

        Assert.Equal(["1"], scores.Keys);
        Assert.Equal(3, report.UnknownIds);
        Assert.Equal(4, report.Returned);
        Assert.Equal(1, report.Accepted);
    }

    [Fact]
    public void Keeps_the_first_of_repeated_ids()
    {
        var (scores, report) = RerankValidator.Validate(Answer(("2", 0.2), ("2", 0.95), ("2", 0.5)), Candidates);

        Assert.Equal(0.2f, scores["2"]);
        Assert.Equal(2, report.DuplicateIds);
    }

    [Fact]
    public void Clamps_scores_outside_zero_to_one()
    {
        var (scores, report) = RerankValidator.Validate(Answer(("1", 1.7), ("2", -0.3), ("3", 1.0), ("4", 0.0)), Candidates);

        Assert.Equal(1f, scores["1"]);
        Assert.Equal(0f, scores["2"]);
        Assert.Equal(1f, scores["3"]);
        Assert.Equal(0f, scores["4"]);
        Assert.Equal(2, report.ClampedScores);
    }

    [Fact]
    public void Drops_entries_without_a_finite_score()
    {
        var (scores, report) = RerankValidator.Validate(Answer(("1", null), ("2", double.NaN), ("3", double.PositiveInfinity), ("4", 0.4)), Candidates);

        Assert.Equal(["4"], scores.Keys);
        Assert.Equal(3, report.InvalidScores);
    }

    [Fact]
    public void Trims_ids_before_matching()
    {
        var (scores, _) = RerankValidator.Validate(Answer((" 3 ", 0.6)), Candidates);

        Assert.Equal(0.6f, scores["3"]);
    }

    [Fact]
    public void An_answer_without_scores_accepts_nothing()
    {
        var (scores, report) = RerankValidator.Validate(new RerankAnswer(), Candidates);

        Assert.Empty(scores);
        Assert.Equal(0, report.Returned);
    }
}
