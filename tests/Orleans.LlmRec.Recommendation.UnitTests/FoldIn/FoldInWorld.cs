using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.FoldIn;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.UnitTests.FoldIn;

/// <summary>
/// The data and trained models the fold-in tests share: a synthetic catalogue, genre-following ratings for the rating
/// models, and one trained model per kind (trained once for all test classes, as training dominates their time).
/// </summary>
internal static class FoldInWorld
{
    public static readonly Lazy<RatingsDataset> Catalogue = new(() => SyntheticCatalogue.Generate(new SyntheticCatalogueOptions
    {
        Seed = 11,
        UserCount = 300,
        ItemCount = 400,
        MeanInteractionsPerUser = 40,
    }));

    // The catalogue's ratings depend on taste relative to each user's own picks, so they say little about genre;
    // rating models get ratings that do: users rate items of their two favourite genres high, others low.
    public static readonly Lazy<RatingsDataset> GenreRatings = new(() =>
    {
        var catalogue = Catalogue.Value;
        var random = new Random(5);
        var genres = SyntheticCatalogue.Genres;
        var interactions = new List<Interaction>();
        for (var user = 0; user < catalogue.UserCount; user++)
        {
            var favourites = new[] { genres[random.Next(genres.Count)], genres[random.Next(genres.Count)] };
            foreach (var item in Enumerable.Range(0, catalogue.ItemCount).OrderBy(_ => random.Next()).Take(60))
            {
                var liked = catalogue.ItemInfo[item].Genres.Any(favourites.Contains);
                var rating = Math.Clamp(Math.Round((liked ? 4.5 : 2.0) + random.NextDouble() - 0.5), 1, 5);
                interactions.Add(new Interaction(user, item, (float)rating, user * 100L));
            }
        }
        return catalogue.WithInteractions([.. interactions], "genre-ratings");
    });

    public static readonly Dictionary<ModelKind, EmbeddingModel> Trained = [];

    public static RatingsDataset DataFor(ModelKind kind) => kind.PredictsRatings() ? GenreRatings.Value : Catalogue.Value;

    public static EmbeddingModel Train(ModelKind kind)
    {
        lock (Trained)
        {
            if (!Trained.TryGetValue(kind, out var model))
            {
                Trained[kind] = model = ModelTrainers.Create(kind, new TrainerSettings { Seed = 3, Epochs = kind is ModelKind.LightGcn ? 60 : null }).Train(DataFor(kind));
            }
            return model;
        }
    }

    /// <summary>A user's training interactions as fold-in signals: ratings for the rating models, clicks otherwise.</summary>
    public static FoldedUser FoldInTrainingHistory(UserFoldIn foldIn, ModelKind kind, InteractionMatrix matrix, int user)
    {
        var items = matrix.ItemsOf(user);
        var ratings = matrix.RatingsOf(user);
        var interactions = new FoldInInteraction[items.Length];
        for (var n = 0; n < items.Length; n++)
        {
            interactions[n] = kind.PredictsRatings() ? new FoldInInteraction(items[n], ratings[n], IsRating: true) : new FoldInInteraction(items[n], 1f);
        }
        return foldIn.Compute(interactions);
    }
}
