using Orleans.LlmRec.Grains.Llm;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Llm.Profiles;

namespace Orleans.LlmRec.Grains.UnitTests;

public class LlmRefreshRulesTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly ProfileRefreshPolicy Policy = new(interactionThreshold: 10, maxAge: TimeSpan.FromMinutes(30), minInterval: TimeSpan.FromMinutes(1));

    [Fact]
    public void A_user_never_profiled_waits_for_N_interactions_not_for_the_first_click()
    {
        var state = new UserState();
        LlmRefreshRules.CountChanges(state, 1, T0);
        Assert.False(LlmRefreshRules.ProfileDue(state, Policy, llmEnabled: true, T0));
        LlmRefreshRules.CountChanges(state, 8, T0.AddSeconds(5));
        Assert.False(LlmRefreshRules.ProfileDue(state, Policy, llmEnabled: true, T0.AddSeconds(5)));
        LlmRefreshRules.CountChanges(state, 1, T0.AddSeconds(6));
        Assert.True(LlmRefreshRules.ProfileDue(state, Policy, llmEnabled: true, T0.AddSeconds(6)));
    }

    [Fact]
    public void A_user_never_profiled_with_few_interactions_is_due_T_after_the_first_one()
    {
        var state = new UserState();
        LlmRefreshRules.CountChanges(state, 2, T0);
        LlmRefreshRules.CountChanges(state, 1, T0.AddMinutes(10));
        Assert.Equal(T0.AddMinutes(30), LlmRefreshRules.NextProfileCheck(state, Policy, llmEnabled: true));
        Assert.False(LlmRefreshRules.ProfileDue(state, Policy, llmEnabled: true, T0.AddMinutes(29)));
        Assert.True(LlmRefreshRules.ProfileDue(state, Policy, llmEnabled: true, T0.AddMinutes(30)));
    }

    [Fact]
    public void After_a_request_N_more_interactions_wait_for_the_minimum_interval()
    {
        var state = new UserState();
        LlmRefreshRules.CountChanges(state, 10, T0);
        LlmRefreshRules.MarkProfileRequested(state, T0);
        Assert.Equal(0, state.InteractionsSinceProfileRequest);
        Assert.Null(LlmRefreshRules.NextProfileCheck(state, Policy, llmEnabled: true));

        LlmRefreshRules.CountChanges(state, 25, T0.AddSeconds(30));
        Assert.False(LlmRefreshRules.ProfileDue(state, Policy, llmEnabled: true, T0.AddSeconds(59)));
        Assert.Equal(T0.AddMinutes(1), LlmRefreshRules.NextProfileCheck(state, Policy, llmEnabled: true));
        Assert.True(LlmRefreshRules.ProfileDue(state, Policy, llmEnabled: true, T0.AddMinutes(1)));
    }

    [Fact]
    public void After_a_request_one_interaction_is_enough_once_the_profile_is_T_old()
    {
        var state = new UserState();
        LlmRefreshRules.CountChanges(state, 10, T0);
        LlmRefreshRules.MarkProfileRequested(state, T0);
        LlmRefreshRules.CountChanges(state, 1, T0.AddMinutes(5));
        Assert.False(LlmRefreshRules.ProfileDue(state, Policy, llmEnabled: true, T0.AddMinutes(29)));
        Assert.Equal(T0.AddMinutes(30), LlmRefreshRules.NextProfileCheck(state, Policy, llmEnabled: true));
        Assert.True(LlmRefreshRules.ProfileDue(state, Policy, llmEnabled: true, T0.AddMinutes(30)));
    }

    [Fact]
    public void A_failed_request_is_asked_again_after_the_minimum_interval_not_after_N_more_clicks()
    {
        var state = new UserState();
        LlmRefreshRules.CountChanges(state, 10, T0);
        LlmRefreshRules.MarkProfileRequested(state, T0);
        LlmRefreshRules.RestorePending(state, Policy, T0.AddSeconds(2));
        Assert.Equal(10, state.InteractionsSinceProfileRequest);
        Assert.False(LlmRefreshRules.ProfileDue(state, Policy, llmEnabled: true, T0.AddSeconds(30)));
        Assert.True(LlmRefreshRules.ProfileDue(state, Policy, llmEnabled: true, T0.AddMinutes(1)));
    }

    [Fact]
    public void With_the_LLM_off_any_pending_change_is_due_at_once_and_no_timer_is_needed()
    {
        var state = new UserState();
        Assert.False(LlmRefreshRules.ProfileDue(state, Policy, llmEnabled: false, T0));
        LlmRefreshRules.CountChanges(state, 1, T0);
        Assert.True(LlmRefreshRules.ProfileDue(state, Policy, llmEnabled: false, T0));
        Assert.Null(LlmRefreshRules.NextProfileCheck(state, Policy, llmEnabled: false));
    }

    [Fact]
    public void A_first_re_rank_is_asked_for_a_user_without_scores()
    {
        var ids = Ids(50);
        Assert.Equal(LlmRefreshRules.FirstRerank, LlmRefreshRules.RerankReason(ids, Scores([]), null, "k", 0.2));
        Assert.Null(LlmRefreshRules.RerankReason([], Scores([]), null, "k", 0.2));
    }

    [Fact]
    public void A_new_profile_or_new_preferences_call_for_new_scores()
    {
        var ids = Ids(50);
        Assert.Equal(LlmRefreshRules.ContextChanged, LlmRefreshRules.RerankReason(ids, Scores(ids), "old", "new", 0.2));
        Assert.Null(LlmRefreshRules.RerankReason(ids, Scores(ids), "same", "same", 0.2));
    }

    [Fact]
    public void Drifted_candidates_call_for_new_scores_only_past_the_unscored_share()
    {
        var ids = Ids(50);
        // 20 % of 50 is 10 candidates without a score.
        Assert.Null(LlmRefreshRules.RerankReason(ids, Scores(ids.Skip(9)), "k", "k", 0.2));
        Assert.Equal(LlmRefreshRules.CandidatesDrifted, LlmRefreshRules.RerankReason(ids, Scores(ids.Skip(10)), "k", "k", 0.2));
    }

    private static List<string> Ids(int count) => Enumerable.Range(1, count).Select(i => $"i{i}").ToList();

    private static Dictionary<string, float> Scores(IEnumerable<string> ids) => ids.ToDictionary(id => id, _ => 0.5f, StringComparer.Ordinal);
}
