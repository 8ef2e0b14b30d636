namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>What we know of an item as text: the raw material for LLM prompts and the TF-IDF re-ranker.</summary>
public sealed record ItemInfo(string ExternalId, string Title, int? Year, IReadOnlyList<string> Genres)
{
    /// <summary>User-written tags (ml-latest-small tags.csv), de-duplicated case-insensitively.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Longer free text when a source has it (plot description, overview).</summary>
    public string? Description { get; init; }

    /// <summary>IMDb id as the source writes it (ml-latest links.csv: "0114709"), for joining other catalogues.</summary>
    public string? ImdbId { get; init; }

    /// <summary>TMDB id (ml-latest links.csv), the key of the TMDB 5000 overviews.</summary>
    public string? TmdbId { get; init; }

    /// <summary>One line for a prompt: title, year, genres and tags.</summary>
    public string ToPromptLine()
    {
        var year = Year is { } y && !Title.Contains($"({y})", StringComparison.Ordinal) ? $" ({y})" : "";
        var genres = Genres.Count > 0 ? $"; genres: {string.Join(", ", Genres)}" : "";
        var tags = Tags.Count > 0 ? $"; tags: {string.Join(", ", Tags.Take(10))}" : "";
        return $"{Title}{year}{genres}{tags}";
    }
}
