namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>The word lists and patterns <see cref="SyntheticCatalogue"/> makes movie titles from.</summary>
internal static class SyntheticTitles
{
    private static readonly string[] Adjectives =
    [
        "Silent", "Broken", "Golden", "Last", "Hidden", "Crimson", "Endless", "Burning", "Frozen", "Lonely", "Dark",
        "Bright", "Wild", "Secret", "Forgotten", "Electric", "Midnight", "Savage", "Gentle", "Iron", "Velvet", "Distant",
        "Restless", "Hollow", "Shattered", "Sweet", "Bitter", "Lucky", "Wicked", "Quiet", "Final", "Little", "Great",
        "Strange", "Crooked", "Silver", "Painted", "Lost", "Fearless", "Northern",
    ];

    private static readonly string[] Nouns =
    [
        "River", "Horizon", "Garden", "Stranger", "Kingdom", "Promise", "Shadow", "Harbor", "Machine", "Letter",
        "Summer", "Winter", "Road", "Island", "Mirror", "Empire", "Heart", "Storm", "Detective", "Dream", "Frontier",
        "Voyage", "Circus", "Orchard", "Lighthouse", "Signal", "Witness", "Bridge", "Station", "Planet", "Crown",
        "Canyon", "Melody", "Fortune", "Hunter", "Ghost", "Desert", "Compass", "Castle", "Engine", "Secret", "Sky",
        "Dance", "Night", "Rebel", "Soldier", "Forest", "Mountain", "Ocean", "City", "Thief", "Queen", "Game",
        "Wolf", "Tide", "Comet", "Lantern", "Ballad", "Echo", "Prophet",
    ];

    private static readonly string[] Names =
    [
        "Anna", "Marcus", "Lena", "Oscar", "Ruby", "Felix", "Clara", "Hugo", "Iris", "Jonah", "Mabel", "Theo",
        "Nora", "Victor", "Elsa", "Milo", "Greta", "Arthur", "Ida", "Leon",
    ];

    private static readonly string[] Places =
    [
        "Paris", "Tangier", "the Valley", "Havana", "Nowhere", "the North", "Brooklyn", "Eden", "the Moon", "Vienna",
        "Santa Fe", "the Coast", "Kyoto", "the Border", "Avalon", "Marrakesh",
    ];

    /// <summary>A made-up title; one already in <paramref name="seen"/> becomes a numbered sequel.</summary>
    public static string Unique(Random random, Dictionary<string, int> seen)
    {
        string Pick(string[] words) => words[random.Next(words.Length)];
        var title = random.Next(6) switch
        {
            0 => $"The {Pick(Adjectives)} {Pick(Nouns)}",
            1 => $"{Pick(Adjectives)} {Pick(Nouns)}",
            2 => $"The {Pick(Nouns)} of {Pick(Places)}",
            3 => $"{Pick(Names)}'s {Pick(Nouns)}",
            4 => WithArticle($"{Pick(Nouns)} in {Pick(Places)}"),
            _ => $"{Pick(Nouns)} and {Pick(Nouns)}",
        };
        // A repeated title becomes a sequel, so every title names one item.
        var count = seen.GetValueOrDefault(title) + 1;
        seen[title] = count;
        return count == 1 ? title : $"{title} {count}";
    }

    private static string WithArticle(string phrase) => ("AEIOU".Contains(phrase[0]) ? "An " : "A ") + phrase;
}
