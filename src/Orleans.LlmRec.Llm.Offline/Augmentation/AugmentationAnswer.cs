using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Orleans.LlmRec.Llm.Offline.Augmentation;

/// <summary>The JSON shape the augmentation prompt asks for; its schema is generated from this type.</summary>
[Description("The candidate the user would most likely enjoy and the one they would least likely enjoy.")]
public sealed class AugmentationAnswer
{
    [JsonPropertyName("likedItemId")]
    [Description("Id of the candidate the user would most likely enjoy, exactly as given.")]
    public string? LikedItemId { get; set; }

    [JsonPropertyName("dislikedItemId")]
    [Description("Id of a different candidate the user would least likely enjoy, exactly as given.")]
    public string? DislikedItemId { get; set; }
}
