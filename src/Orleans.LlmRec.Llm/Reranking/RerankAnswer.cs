using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Orleans.LlmRec.Llm.Reranking;

/// <summary>The JSON shape the re-rank prompt asks for; its schema is generated from this type.</summary>
[Description("Scores of the candidate items for one user.")]
public sealed class RerankAnswer
{
    [JsonPropertyName("scores")]
    [Description("One entry per candidate item.")]
    public List<RerankAnswerEntry>? Scores { get; set; }
}

public sealed class RerankAnswerEntry
{
    [JsonPropertyName("itemId")]
    [Description("The id of a candidate item, exactly as given in the data.")]
    public string? ItemId { get; set; }

    [JsonPropertyName("score")]
    [Description("How well the item matches the user's tastes, from 0 (poor) to 1 (excellent).")]
    public double? Score { get; set; }
}
