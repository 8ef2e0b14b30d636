using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Llm;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Llm.Profiles;

namespace Orleans.LlmRec.Grains.UnitTests;

public class LlmStateTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_newer_answer_wins_per_item_and_a_late_older_one_only_fills_gaps()
    {
        var stored = new RerankScores();
        Assert.True(stored.Merge([Score("a", 0.9f), Score("b", 0.8f)], version: 20, "new", Now, NoneExcluded));
        Assert.True(stored.Merge([Score("a", 0.1f), Score("c", 0.3f)], version: 10, "old", Now, NoneExcluded));

        var scores = stored.Scores.ToDictionary(x => x.ItemId, x => x.Score);
        Assert.Equal(0.9f, scores["a"]);
        Assert.Equal(0.8f, scores["b"]);
        Assert.Equal(0.3f, scores["c"]);
        Assert.Equal("new", stored.ContextKey);
        Assert.Equal(20, stored.Version);
    }

    [Fact]
    public void Scores_of_seen_items_are_dropped_and_the_newest_are_kept_within_the_bound()
    {
        var state = new UserState();
        state.History.AddInteraction(new InteractionRecord { ItemId = "seen", Type = UserEventType.Click, Timestamp = Now });
        Assert.True(state.StoreRerank(Update([Score("seen", 1f), Score("x", 0.5f)], version: 1), Now));
        Assert.Equal(["x"], state.Rerank.Scores.Select(x => x.ItemId));

        for (var v = 2; v < 10; v++)
        {
            state.StoreRerank(Update(Enumerable.Range(0, 50).Select(i => Score($"v{v}-{i}", 0.5f)).ToList(), version: v), Now);
        }
        Assert.Equal(RerankScores.Capacity, state.Rerank.Count);
        Assert.All(state.Rerank.Scores, s => Assert.True(s.Version >= 6));
    }

    [Fact]
    public void Stored_scores_are_looked_up_by_dense_index_and_the_view_follows_each_merge()
    {
        var catalogue = TestWorld.Catalogue();
        var stored = new RerankScores();
        Assert.Empty(stored.ByIndex(catalogue));
        stored.Merge([Score("3", 0.7f), Score("not-in-catalogue", 1f)], version: 1, "k", Now, NoneExcluded);
        catalogue.TryGetIndex("3", out var three);
        Assert.Equal(0.7f, Assert.Single(stored.ByIndex(catalogue)).Value);
        Assert.Equal(three, stored.ByIndex(catalogue).Keys.Single());

        stored.Merge([Score("4", 0.2f)], version: 2, "k", Now, NoneExcluded);
        Assert.Equal(2, stored.ByIndex(catalogue).Count);
    }

    [Fact]
    public void Top_items_rank_by_signal_strength_then_recency_and_leave_out_dislikes()
    {
        var catalogue = TestWorld.Catalogue();
        var state = new UserHistory();
        state.AddInteraction(Record("1", UserEventType.View));
        state.AddInteraction(Record("2", UserEventType.Click));
        state.AddInteraction(Record("3", UserEventType.Rating, 5f));
        state.AddInteraction(Record("4", UserEventType.Like));
        state.AddInteraction(Record("5", UserEventType.Click));
        state.AddInteraction(Record("5", UserEventType.Dislike));
        state.AddInteraction(Record("6", UserEventType.Rating, 1f));

        Assert.Equal(["4", "3", "2", "1"], LlmRequests.TopItems(state, catalogue, 10).Select(i => i.ExternalId));
        Assert.Equal(["4", "3", "2"], LlmRequests.RecentItems(state, catalogue, 3).Select(i => i.ExternalId));
    }

    [Fact]
    public void A_rerank_request_sends_the_best_N_by_model_score_and_the_context_key_follows_the_profile()
    {
        var catalogue = TestWorld.Catalogue();
        var scored = new[] { "7", "2", "9", "4" }.Select((id, i) =>
        {
            catalogue.TryGetIndex(id, out var index);
            return new ScoredCandidate(index, i == 2 ? 5f : 1f - (i * 0.1f));
        }).ToList();
        var request = LlmRequests.Rerank("u", "likes cluster 2", null, [], scored, catalogue, count: 2);
        Assert.Equal(["9", "7"], request.Candidates.Select(c => c.ItemId));
        Assert.Equal("Item 9", request.Candidates[0].Item.Title);

        Assert.Equal(LlmRequests.ContextKey("p", "q"), LlmRequests.ContextKey("p", "q"));
        Assert.NotEqual(LlmRequests.ContextKey("p", "q"), LlmRequests.ContextKey("p2", "q"));
        Assert.NotEqual(LlmRequests.ContextKey("pq", null), LlmRequests.ContextKey("p", "q"));
    }

    [Fact]
    public void Results_become_grain_updates_with_their_outcome_and_only_valid_payloads()
    {
        var written = LlmRequests.ToUpdate(new ProfileResult(LlmResultStatus.Succeeded, "Likes heists.", ProfileSource.Llm, LlmUsage.None), version: 7);
        Assert.Equal(LlmJobOutcome.Succeeded, written.Outcome);
        Assert.Equal(UserProfile.LlmSource, written.Source);
        Assert.Equal(7, written.Version);

        var shed = LlmRequests.ToUpdate(new ProfileResult(LlmResultStatus.Shed, null, ProfileSource.Llm, LlmUsage.None, "full"), version: 8);
        Assert.Equal(LlmJobOutcome.Shed, shed.Outcome);
        Assert.Null(shed.Text);

        var failed = LlmRequests.ToUpdate(Orleans.LlmRec.Llm.Reranking.RerankResult.Failed(Orleans.LlmRec.Llm.Reranking.RerankSource.Llm, LlmFailure.Malformed), 9, "k");
        Assert.Equal(LlmJobOutcome.Failed, failed.Outcome);
        Assert.Empty(failed.Scores);
        Assert.Equal(LlmFailure.Malformed, failed.Error);
    }

    private static readonly IReadOnlySet<string> NoneExcluded = new HashSet<string>();

    private static RerankUpdate Update(IReadOnlyList<ItemScore> scores, long version) =>
        new() { Version = version, Outcome = LlmJobOutcome.Succeeded, Scores = scores, ContextKey = "k" };

    private static ItemScore Score(string itemId, float score) => new() { ItemId = itemId, Score = score };

    private static InteractionRecord Record(string itemId, UserEventType type, float? value = null) =>
        new() { ItemId = itemId, Type = type, Value = value, Timestamp = Now };
}
