using System.Text;

namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// Item descriptions for <see cref="SyntheticCatalogue"/> whose words follow the item's genres and hidden taste
/// vector, so that a text encoder can partly recover where the item sits: genre words always; theme words for the
/// five dimensions of the latent vector that stand out most (after noise), from that dimension's positive or negative
/// word list; filler that carries nothing. Noise in the choice of themes, a share of random themes and dimensions that
/// share word lists (above 16) keep text from predicting the vector perfectly, as with real descriptions.
/// </summary>
internal static class SyntheticDescriptions
{
    // Per genre of SyntheticCatalogue.Genres, in that order.
    private static readonly string[][] GenreWords =
    [
        ["explosive", "high-octane", "action-packed"], ["sweeping", "adventurous", "globe-trotting"], ["animated", "hand-drawn", "colourful"],
        ["family-friendly", "children's", "gentle"], ["comic", "hilarious", "witty"], ["gritty crime", "hard-boiled", "criminal"],
        ["documentary", "true-life", "factual"], ["dramatic", "moving", "intimate"], ["fantastical", "enchanted", "mythic"],
        ["noir", "shadowy", "fatalistic"], ["terrifying", "gory", "haunted"], ["musical", "song-filled", "melodic"],
        ["mysterious", "puzzling", "enigmatic"], ["romantic", "heartfelt", "tender"], ["futuristic", "science-fiction", "dystopian"],
        ["suspenseful", "tense", "nail-biting"], ["wartime", "battlefield", "military"], ["frontier", "cowboy", "western"],
    ];

    // Two poles per latent dimension (dimension k uses pair k mod 16): distinct themes a sentence encoder tells apart.
    private static readonly string[][][] ThemeWords =
    [
        [["love", "devotion", "a romance"], ["betrayal", "revenge", "hatred"]],
        [["family", "childhood", "home"], ["exile", "isolation", "a life alone"]],
        [["laughter", "mischief", "pranks"], ["grief", "loss", "mourning"]],
        [["space travel", "robots", "the far future"], ["kings", "ancient empires", "the middle ages"]],
        [["soldiers", "battle", "an invasion"], ["friendship", "harmony", "reconciliation"]],
        [["gangsters", "a heist", "the underworld"], ["a courtroom", "justice", "the law"]],
        [["music", "dancing", "a band on tour"], ["silence", "a monastery", "meditation"]],
        [["magic", "dragons", "wizards"], ["doctors", "a hospital", "medicine"]],
        [["sport", "a championship", "training"], ["painting", "poetry", "an artist"]],
        [["the ocean", "sailors", "a shipwreck"], ["the desert", "sand dunes", "drought"]],
        [["ghosts", "monsters", "a curse"], ["animals", "wild forests", "nature"]],
        [["politics", "elections", "power"], ["high school", "teenagers", "first love"]],
        [["a road trip", "fast cars", "a chase"], ["a farm", "village life", "the seasons"]],
        [["detectives", "clues", "a murder"], ["treasure", "old maps", "an expedition"]],
        [["money", "big business", "greed"], ["faith", "miracles", "a pilgrimage"]],
        [["nightclubs", "jazz", "city nights"], ["mountains", "snow", "a long winter"]],
    ];

    private static readonly string[] Openers = ["A", "An unforgettable", "A quiet", "A bold", "A slow-burning", "A sharp", "A modest", "An ambitious"];
    private static readonly string[] Forms = ["story", "tale", "film", "journey", "portrait", "chronicle"];
    private static readonly string[] Fillers =
    [
        "told over one long weekend", "set in a small town", "seen through the eyes of a stranger", "based on a true story",
        "with a surprising ending", "shot on location", "from a first-time director", "with an ensemble cast",
        "across three generations", "in the space of a single night",
    ];

    // Theme words per description, for the dimensions that stand out most.
    private const int ThemeSlots = 5;

    // Share of the theme slots filled with a random theme instead of the item's own.
    private const double RandomThemeShare = 0.2;

    // Noise added to |v_k| before picking the standout dimensions, relative to the vector's typical entry.
    private const double SelectionNoise = 0.3;

    public static string Describe(Random random, IReadOnlyList<int> genres, float[] latent)
    {
        var text = new StringBuilder(160);
        text.Append(Pick(random, Openers)).Append(' ');
        foreach (var g in genres) text.Append(Pick(random, GenreWords[g])).Append(", ");
        text.Length -= 2;
        text.Append(' ').Append(Pick(random, Forms)).Append(" about ");
        var themes = StandoutThemes(random, latent);
        text.AppendJoin(", ", themes[..^1]).Append(" and ").Append(themes[^1]);
        text.Append(", ").Append(Pick(random, Fillers)).Append('.');
        return text.ToString();
    }

    private static string[] StandoutThemes(Random random, float[] latent)
    {
        var scale = Math.Sqrt(latent.Sum(v => (double)v * v) / latent.Length) + 1e-9;
        Span<(double Key, int Dim)> ranked = latent.Length <= 256 ? stackalloc (double, int)[latent.Length] : new (double, int)[latent.Length];
        for (var k = 0; k < latent.Length; k++) ranked[k] = (Math.Abs(latent[k]) / scale + SelectionNoise * Normal(random), k);
        ranked.Sort((a, b) => b.Key.CompareTo(a.Key));
        var themes = new string[ThemeSlots];
        for (var slot = 0; slot < ThemeSlots; slot++)
        {
            var (dim, pole) = slot < ranked.Length && random.NextDouble() >= RandomThemeShare
                ? (ranked[slot].Dim, latent[ranked[slot].Dim] >= 0 ? 0 : 1)
                : (random.Next(latent.Length), random.Next(2));
            themes[slot] = Pick(random, ThemeWords[dim % ThemeWords.Length][pole]);
        }
        return themes;
    }

    private static string Pick(Random random, string[] words) => words[random.Next(words.Length)];

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
