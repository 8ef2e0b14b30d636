namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// A made-up movie catalogue with users whose choices follow hidden tastes, for tests, demos and the embedded
/// default: the same seed always gives the same data set.
/// <para>
/// Each genre has a direction in a latent space; an item sits near the mean of its genres' directions plus its own
/// offset, and a user near the weighted mean of the genres they favour plus their own offset. A user's candidates
/// come partly from favoured genres and partly from overall (power-law) popularity; among those the user picks the
/// ones that best match the latent vector, with Gumbel noise. Ratings rise with that match. So co-occurrence and
/// latent-factor models find real structure that a popularity ranking cannot.
/// </para>
/// </summary>
public static class SyntheticCatalogue
{
    public static IReadOnlyList<string> Genres { get; } =
    [
        "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ];

    // Rough shares of the genres in MovieLens, so the catalogue has common and rare genres.
    private static readonly double[] GenreFrequency = [10, 6, 2, 3, 14, 6, 2, 18, 4, 0.5, 4, 2, 3, 8, 4, 8, 2, 1];

    /// <param name="progress">Told the share done of each phase ("items", "users"), about every 1 % of it.</param>
    public static RatingsDataset Generate(SyntheticCatalogueOptions? options = null, IProgress<(string Phase, double Done)>? progress = null)
    {
        options ??= new SyntheticCatalogueOptions();
        options.Validate();
        var random = new Random(options.Seed);
        // Descriptions draw from their own generator, so asking for them leaves every other draw, and so every
        // rating, title and interaction, exactly as without them.
        var textRandom = options.Descriptions ? new Random(unchecked(options.Seed * 7919 + 17)) : null;
        var d = options.LatentDimensions;
        var genreVectors = Enumerable.Range(0, Genres.Count).Select(_ => Gaussian(random, d, 1.0 / Math.Sqrt(d))).ToArray();

        // Items: title, year, genres, latent vector, popularity.
        var itemCount = options.ItemCount;
        var itemGenres = new int[itemCount][];
        var itemVectors = new float[itemCount][];
        var itemQuality = new double[itemCount];
        var info = new ItemInfo[itemCount];
        var titles = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < itemCount; i++)
        {
            var genreCount = random.NextDouble() switch { < 0.4 => 1, < 0.8 => 2, _ => 3 };
            itemGenres[i] = DrawDistinct(random, GenreFrequency, genreCount).Order().ToArray();
            itemVectors[i] = Blend(random, itemGenres[i].Select(g => (genreVectors[g], 1.0)), d, ownShare: 0.6);
            itemQuality[i] = Normal(random) * 0.4;
            // Recent years are more common, as in real catalogues.
            var year = 2024 - (int)Math.Floor(75 * Math.Pow(random.NextDouble(), 1.6));
            info[i] = new ItemInfo((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                SyntheticTitles.Unique(random, titles), Math.Clamp(year, 1950, 2024), itemGenres[i].Select(g => Genres[g]).ToArray());
            if (textRandom is not null) info[i] = info[i] with { Description = SyntheticDescriptions.Describe(textRandom, itemGenres[i], itemVectors[i]) };
            Report(progress, "items", i, itemCount);
        }
        var rank = Enumerable.Range(0, itemCount).ToArray();
        random.Shuffle(rank);
        var popularity = new double[itemCount];
        for (var k = 0; k < itemCount; k++)
        {
            popularity[rank[k]] = Math.Pow(k + 1, -options.PopularityExponent);
        }
        var overall = new WeightedSampler(Enumerable.Range(0, itemCount).ToArray(), popularity);
        var members = Enumerable.Range(0, Genres.Count).Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < itemCount; i++)
        {
            foreach (var g in itemGenres[i]) members[g].Add(i);
        }
        var byGenre = members
            .Select(m => m.Count == 0 ? null : new WeightedSampler(m.ToArray(), m.Select(i => popularity[i]).ToArray()))
            .ToArray();

        // Users and their interactions.
        var sigma = 0.8;
        var mu = Math.Log(options.MeanInteractionsPerUser) - sigma * sigma / 2;
        var maxPerUser = Math.Max(options.MinInteractionsPerUser, Math.Min(itemCount / 2, (int)(options.MeanInteractionsPerUser * 20)));
        var span = options.TimeSpanDays * 86_400L;
        var generated = new List<Interaction>((int)(options.UserCount * options.MeanInteractionsPerUser * 1.1));
        var candidates = new HashSet<int>();
        var scored = new List<(double Key, int Item, double Match)>();
        for (var u = 0; u < options.UserCount; u++)
        {
            Report(progress, "users", u, options.UserCount);
            var genreTaste = UserGenreTaste(random, byGenre);
            var userVector = Blend(random, genreTaste.Select((w, g) => (genreVectors[g], w)).Where(p => p.w > 0), d, ownShare: 0.5);
            var userBias = Normal(random) * 0.4;
            var count = Math.Clamp((int)Math.Round(Math.Exp(mu + sigma * Normal(random))), options.MinInteractionsPerUser, maxPerUser);
            var tasteSampler = new WeightedSampler(Enumerable.Range(0, Genres.Count).ToArray(), genreTaste);

            candidates.Clear();
            var wanted = Math.Min(itemCount, Math.Max(4 * count, 100));
            for (var attempt = 0; candidates.Count < wanted && attempt < wanted * 20; attempt++)
            {
                var fromGenre = random.NextDouble() < options.GenreCandidateShare;
                candidates.Add(fromGenre ? byGenre[tasteSampler.Sample(random)]!.Sample(random) : overall.Sample(random));
            }

            scored.Clear();
            foreach (var item in candidates)
            {
                var match = Dot(userVector, itemVectors[item]);
                // Gumbel noise turns "sort by score" into sampling proportional to exp(strength × match).
                var gumbel = -Math.Log(-Math.Log(random.NextDouble() * (1 - 1e-12) + 1e-12));
                scored.Add((options.TasteStrength * match / MatchScale(d) + gumbel, item, match));
            }
            // Sorting by key then item keeps the order independent of hash-set enumeration details.
            scored.Sort((a, b) => b.Key != a.Key ? b.Key.CompareTo(a.Key) : a.Item.CompareTo(b.Item));
            var chosen = scored.Take(count).ToArray();
            random.Shuffle(chosen);

            var meanMatch = scored.Average(s => s.Match);
            var spread = Math.Sqrt(scored.Average(s => (s.Match - meanMatch) * (s.Match - meanMatch))) + 1e-9;
            var time = options.StartTimestamp + (long)(random.NextDouble() * span * 0.8);
            var gap = Math.Max(60.0, span * 0.2 / count);
            foreach (var (_, item, match) in chosen)
            {
                var z = (match - meanMatch) / spread;
                var rating = Math.Clamp(Math.Round(2.7 + 0.9 * z + userBias + itemQuality[item] + 0.6 * Normal(random)), 1, 5);
                time += 1 + (long)(-Math.Log(1 - random.NextDouble()) * gap);
                generated.Add(new Interaction(u, item, (float)rating, time));
            }
        }
        return Assemble(options.Name, options.UserCount, info, generated);
    }

    private static void Report(IProgress<(string Phase, double Done)>? progress, string phase, int done, int total)
    {
        if (progress is not null && done % Math.Max(1, total / 100) == 0) progress.Report((phase, (double)done / total));
    }

    /// <summary>Dense item indexes in first-seen order with never-chosen items last, as the file loaders do.</summary>
    private static RatingsDataset Assemble(string name, int userCount, ItemInfo[] info, List<Interaction> generated)
    {
        var users = new IdMap(Enumerable.Range(1, userCount).Select(u => u.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var items = new IdMap();
        var remap = new int[info.Length];
        foreach (var x in generated)
        {
            remap[x.Item] = items.GetOrAdd(info[x.Item].ExternalId);
        }
        foreach (var item in info)
        {
            items.GetOrAdd(item.ExternalId);
        }
        var itemInfo = new Dictionary<int, ItemInfo>(info.Length);
        foreach (var item in info)
        {
            itemInfo[items[item.ExternalId]] = item;
        }
        var interactions = generated.Select(x => x with { Item = remap[x.Item] }).ToArray();
        return new RatingsDataset(name, users, items, interactions, itemInfo);
    }

    /// <summary>1–3 favourite genres carry most of the weight; every genre keeps a little so tastes overlap.</summary>
    private static double[] UserGenreTaste(Random random, WeightedSampler?[] byGenre)
    {
        var taste = new double[Genres.Count];
        var favourites = DrawDistinct(random, GenreFrequency, 1 + random.Next(3));
        foreach (var g in favourites)
        {
            taste[g] = 1 + random.NextDouble() * 2;
        }
        for (var g = 0; g < taste.Length; g++)
        {
            taste[g] = byGenre[g] is null ? 0 : taste[g] + 0.03;
        }
        return taste;
    }

    private static int[] DrawDistinct(Random random, double[] weights, int count)
    {
        var remaining = (double[])weights.Clone();
        var drawn = new int[Math.Min(count, remaining.Count(w => w > 0))];
        for (var k = 0; k < drawn.Length; k++)
        {
            var target = random.NextDouble() * remaining.Sum();
            var g = 0;
            while (g < remaining.Length - 1 && (target -= remaining[g]) >= 0)
            {
                g++;
            }
            while (remaining[g] == 0)
            {
                g = (g + 1) % remaining.Length;
            }
            drawn[k] = g;
            remaining[g] = 0;
        }
        return drawn;
    }

    /// <summary>Weighted mean of the given directions, mixed with a random own direction.</summary>
    private static float[] Blend(Random random, IEnumerable<(float[] Vector, double Weight)> parts, int d, double ownShare)
    {
        var mean = new double[d];
        var total = 0.0;
        foreach (var (vector, weight) in parts)
        {
            for (var k = 0; k < d; k++) mean[k] += vector[k] * weight;
            total += weight;
        }
        var own = Gaussian(random, d, 1.0 / Math.Sqrt(d));
        var result = new float[d];
        for (var k = 0; k < d; k++)
        {
            var shared = total > 0 ? mean[k] / total : 0;
            result[k] = (float)((1 - ownShare) * shared * 2 + ownShare * own[k] * 2);
        }
        return result;
    }

    // Typical size of a dot product between two blended vectors, so TasteStrength means the same at any dimension.
    private static double MatchScale(int d) => 1.0 / Math.Sqrt(d) + 0.25;

    private static float[] Gaussian(Random random, int d, double scale)
    {
        var v = new float[d];
        for (var k = 0; k < d; k++) v[k] = (float)(Normal(random) * scale);
        return v;
    }

    private static double Dot(float[] a, float[] b)
    {
        var sum = 0.0;
        for (var k = 0; k < a.Length; k++) sum += a[k] * b[k];
        return sum;
    }

    private static double Normal(Random random)
    {
        // Box–Muller; 1 - NextDouble() avoids log(0).
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Draws from a fixed discrete distribution by binary search over cumulative weights.</summary>
    private sealed class WeightedSampler
    {
        private readonly int[] _values;
        private readonly double[] _cumulative;

        public WeightedSampler(int[] values, double[] weights)
        {
            _values = values;
            _cumulative = new double[weights.Length];
            var sum = 0.0;
            for (var k = 0; k < weights.Length; k++)
            {
                sum += weights[k];
                _cumulative[k] = sum;
            }
        }

        public int Sample(Random random)
        {
            var target = random.NextDouble() * _cumulative[^1];
            var k = Array.BinarySearch(_cumulative, target);
            k = k >= 0 ? k + 1 : ~k;
            // An exact hit on a boundary must not land on a zero-weight entry, whose interval is empty.
            while (k < _cumulative.Length - 1 && _cumulative[k] <= target)
            {
                k++;
            }
            return _values[Math.Min(k, _values.Length - 1)];
        }
    }
}
