using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Orleans.LlmRec.Llm.Offline.Augmentation;

/// <summary>The JSON shape the item-attribute prompt asks for (LLMRec's item-attribute enhancement), one entry per item.</summary>
[Description("Attributes of the movies given, one entry per movie.")]
public sealed class ItemAttributesAnswer
{
    [JsonPropertyName("items")]
    [Description("One entry per movie asked about, with its itemId exactly as given.")]
    public List<ItemAttributesEntry>? Items { get; set; }
}

/// <summary>One item's attributes as the LLM wrote them.</summary>
public sealed class ItemAttributesEntry
{
    [JsonPropertyName("itemId")]
    [Description("Id of the movie, exactly as given.")]
    public string? ItemId { get; set; }

    [JsonPropertyName("genres")]
    [Description("Up to five genres.")]
    public List<string>? Genres { get; set; }

    [JsonPropertyName("themes")]
    [Description("Up to five themes or moods.")]
    public List<string>? Themes { get; set; }

    [JsonPropertyName("director")]
    [Description("The director, or empty when unknown.")]
    public string? Director { get; set; }

    [JsonPropertyName("language")]
    [Description("The original language, or empty when unknown.")]
    public string? Language { get; set; }

    [JsonPropertyName("country")]
    [Description("The country of production, or empty when unknown.")]
    public string? Country { get; set; }
}

/// <summary>The JSON shape the user-profile prompt asks for (LLMRec's user profiling).</summary>
[Description("A user's movie preferences, inferred from their history.")]
public sealed class UserProfileAnswer
{
    [JsonPropertyName("likedGenres")]
    [Description("Up to five genres the user enjoys.")]
    public List<string>? LikedGenres { get; set; }

    [JsonPropertyName("dislikedGenres")]
    [Description("Up to five genres the user avoids, or none.")]
    public List<string>? DislikedGenres { get; set; }

    [JsonPropertyName("likedThemes")]
    [Description("Up to five themes or moods the user enjoys.")]
    public List<string>? LikedThemes { get; set; }

    [JsonPropertyName("likedDirectors")]
    [Description("Up to five directors the user likes, or none.")]
    public List<string>? LikedDirectors { get; set; }

    [JsonPropertyName("languages")]
    [Description("Languages of the movies the user watches.")]
    public List<string>? Languages { get; set; }

    [JsonPropertyName("summary")]
    [Description("One or two sentences in the third person describing the user's tastes.")]
    public string? Summary { get; set; }
}
