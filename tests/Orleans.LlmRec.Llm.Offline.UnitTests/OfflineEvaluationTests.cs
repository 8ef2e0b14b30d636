using Orleans.LlmRec.Llm.Offline.Augmentation;
using Orleans.LlmRec.Llm.Offline.Evaluation;
using Orleans.LlmRec.Llm.Reranking;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using static Orleans.LlmRec.Llm.Offline.UnitTests.TestItems;

namespace Orleans.LlmRec.Llm.Offline.UnitTests;

public class OfflineEvaluationTests
{
    // Items 0, 2, 5 are space films; 1 and 3 romances; 4 a heist film every test user has seen.
    private static RatingsDataset Data()
    {
        var items = new IdMap(["i0", "i1", "i2", "i3", "i4", "i5"]);
        var users = new IdMap(["u0", "u1", "u2"]);
        var info = new Dictionary<int, ItemInfo>
        {
            [0] = Movie("i0", "Alien", 1979, ["Sci-Fi"], description: "A crew in deep space meets a starship monster."),
            [1] = Movie("i1", "Notting Hill", 1999, ["Romance"], description: "A bookshop owner meets a famous actress in London."),
            [2] = Movie("i2", "Star Wars", 1977, ["Sci-Fi"], description: "Rebels fight an empire in deep space with a starship."),
            [3] = Movie("i3", "Amelie", 2001, ["Romance"], description: "A shy waitress in Paris changes the lives around her."),
            [4] = Movie("i4", "Heat", 1995, ["Crime"], description: "A detective hunts a crew of thieves."),
            [5] = Movie("i5", "Solaris", 1972, ["Sci-Fi"], description: "A psychologist on a starship station in deep space."),
        };
        Interaction[] interactions = [new(0, 4, 5, 1), new(1, 4, 5, 1), .. new[] { 0, 1, 2, 3, 5 }.Select(i => new Interaction(2, i, 4, 1))];
        return new RatingsDataset("tiny", users, items, interactions, info);
    }

    // The model prefers the romance "Notting Hill", then the items in index order.
    private static void Model(int user, Span<float> scores)
    {
        float[] byItem = [5, 6, 4, 3, 9, 2];
        byItem.CopyTo(scores);
    }

    private static ReRankedRecommender ReRanked(float alpha, int top = 5, Dictionary<int, string>? profiles = null)
    {
        var data = Data();
        return new ReRankedRecommender(data, data.ToMatrix(), Model, new TfIdfReranker(top), profiles ?? new() { [0] = "I love space adventures on a starship." }, top, alpha);
    }

    private static int[] Recommend(ReRankedRecommender recommender, int user)
    {
        var ranked = new int[6];
        return ranked[..recommender.Recommend(user, ranked)];
    }

    [Fact]
    public void Alpha_one_orders_the_head_by_profile_match_and_keeps_model_order_among_equals()
    {
        var recommender = ReRanked(alpha: 1);

        var ranked = Recommend(recommender, 0);

        Assert.Equal([0, 2, 5], ranked[..3].Order());
        Assert.Equal([1, 3], ranked[3..]);
        Assert.Equal(1, recommender.ReRankedUsers);
    }

    [Fact]
    public void Alpha_zero_or_no_profile_is_the_model_order_without_training_items()
    {
        Assert.Equal([1, 0, 2, 3, 5], Recommend(ReRanked(alpha: 0), 0));

        var noProfile = ReRanked(alpha: 1);
        Assert.Equal([1, 0, 2, 3, 5], Recommend(noProfile, 1));
        Assert.Equal(1, noProfile.UnchangedUsers);
        Assert.Equal(0, noProfile.ReRankedUsers);
    }

    [Fact]
    public void Only_the_head_is_re_ranked_and_the_rest_follows_in_model_order()
    {
        // The two best by the model are Notting Hill and Alien: Alien moves up; Star Wars stays behind both.
        Assert.Equal([0, 1, 2, 3, 5], Recommend(ReRanked(alpha: 1, top: 2), 0));
    }

    [Fact]
    public void As_a_scorer_the_re_ranked_order_is_what_the_ranking_evaluator_sees()
    {
        var data = Data();
        var recommender = ReRanked(alpha: 1);
        Interaction[] test = [new(0, 1, 5, 2)];

        var plain = RankingEvaluator.Evaluate(Model, 6, data.ToMatrix(), test, new RankingEvaluationOptions { Ks = [1] });
        var reRanked = RankingEvaluator.Evaluate(recommender.Score, 6, data.ToMatrix(), test, new RankingEvaluationOptions { Ks = [1] });

        Assert.Equal(1, plain.ByK[1].HitRate);
        Assert.Equal(0, reRanked.ByK[1].HitRate);
    }

    [Fact]
    public void Profile_sources_are_each_users_ten_highest_ratings_with_ties_in_file_order()
    {
        float[] ratings = [5, 5, 4, 4, 4, 3, 3, 3, 3, 3, 3, 2];
        var all = ratings.Select((r, i) => new Interaction(0, 11 - i, r, i)).Append(new Interaction(1, 3, 1, 0)).ToArray();

        var sources = ProfileLeakCheck.SourceItems(all);

        // Items 11 down to 2 by position; the sixth 3-star rating (item 1) and the 2-star one (item 0) are not sources.
        Assert.Equal(Enumerable.Range(2, 10).Select(i => (0, i)).Append((1, 3)).Order(), sources.Order());
        Interaction[] test = [new(0, 1, 3, 0), new(0, 5, 3, 0), new(1, 3, 1, 0), new(1, 4, 1, 0)];
        Assert.Equal([new(0, 1, 3, 0), new(1, 4, 1, 0)], ProfileLeakCheck.WithoutSources(test, sources));
    }

    [Fact]
    public void The_simulated_chooser_likes_the_best_profile_match_and_dislikes_the_last_of_the_worst()
    {
        var user = new AugmentationUser("u0", [Movie("h", "Heat")],
            [Movie("a", "Notting Hill", genres: ["Romance"]), Movie("b", "Alien", genres: ["Sci-Fi"], description: "space horror"),
             Movie("c", "Amelie", genres: ["Romance"]), Movie("d", "Solaris", genres: ["Sci-Fi"], description: "space drama")])
        { Profile = "Space, always space." };
        var now = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

        var triple = ProfileMatchAugmenter.Choose(user, now);

        Assert.NotNull(triple);
        Assert.Equal(("u0", "b", "c"), (triple.UserId, triple.PositiveItemId, triple.NegativeItemId));
        Assert.Equal(ProfileMatchAugmenter.ModelName, triple.Model);
        Assert.Matches("^[0-9a-f]{64}$", triple.PromptSha256);
        Assert.Equal(now, triple.CreatedAt);
        Assert.Null(ProfileMatchAugmenter.Choose(user with { Candidates = [Movie("b", "Alien")] }, now));
    }

    [Fact]
    public void Triples_map_to_dense_indexes_and_unknown_ids_are_counted()
    {
        var data = Data();
        var now = DateTimeOffset.UnixEpoch;
        AugmentedTriple[] triples = [new("u2", "i5", "i1", "m", "h", now), new("u9", "i5", "i1", "m", "h", now), new("u0", "i5", "nope", "m", "h", now)];

        var (dense, unknown) = AugmentationInputs.ToDense(data, triples);

        Assert.Equal([new Recommendation.Training.BprTriple(2, 5, 1)], dense);
        Assert.Equal(2, unknown);
    }
}
