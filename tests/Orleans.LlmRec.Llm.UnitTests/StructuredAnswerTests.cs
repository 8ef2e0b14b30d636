using System.Text.Json.Serialization;
using Orleans.LlmRec.Llm.Reranking;

namespace Orleans.LlmRec.Llm.UnitTests;

public class StructuredAnswerTests
{
    [Fact]
    public void Reads_json_wrapped_in_a_markdown_fence_and_prose()
    {
        const string text = "Sure! Here are the scores:\n```json\n{\"scores\":[{\"itemId\":\"7\",\"score\":0.5}]}\n```\nEnjoy.";

        Assert.True(StructuredAnswer.TryParse<RerankAnswer>(text, out var answer));
        Assert.Equal("7", answer.Scores![0].ItemId);
        Assert.Equal(0.5, answer.Scores[0].Score);
    }

    [Fact]
    public void Accepts_numeric_ids_and_scores_written_as_strings()
    {
        const string text = "{\"scores\":[{\"itemId\":42,\"score\":\"0.25\"},{\"itemId\":1.5,\"score\":1}]}";

        Assert.True(StructuredAnswer.TryParse<RerankAnswer>(text, out var answer));
        Assert.Equal("42", answer.Scores![0].ItemId);
        Assert.Equal(0.25, answer.Scores[0].Score);
        Assert.Equal("1.5", answer.Scores[1].ItemId);
    }

    [Fact]
    public void Property_names_match_case_insensitively()
    {
        Assert.True(StructuredAnswer.TryParse<PairAnswer>("{\"LikedItemId\":\"a\",\"DISLIKEDITEMID\":\"b\"}", out var answer));
        Assert.Equal("a", answer.LikedItemId);
        Assert.Equal("b", answer.DislikedItemId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("I cannot help with that.")]
    [InlineData("{\"scores\": [ {\"itemId\": \"1\", \"score\": ")]
    [InlineData("{\"scores\": \"many\"}")]
    [InlineData("} nothing {")]
    public void Refuses_what_is_not_the_asked_shape(string text) =>
        Assert.False(StructuredAnswer.TryParse<RerankAnswer>(text, out _));

    // The shape of the offline augmentation answer (Orleans.LlmRec.Llm.Offline), named in camelCase as the LLM writes it.
    private sealed class PairAnswer
    {
        [JsonPropertyName("likedItemId")]
        public string? LikedItemId { get; set; }

        [JsonPropertyName("dislikedItemId")]
        public string? DislikedItemId { get; set; }
    }
}
