using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Llm.Profiles;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>When a profile or a re-rank is worth asking for: the rules of <see cref="UserProfile"/> and <see cref="RerankScores"/>.</summary>
public class ProfileScheduleTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly ProfileRefreshPolicy Policy = new(interactionThreshold: 10, maxAge: TimeSpan.FromMinutes(30), minInterval: TimeSpan.FromMinutes(1));

    [Fact]
    public void A_user_never_profiled_waits_for_N_interactions_not_for_the_first_click()
    {
        var profile = new UserProfile();
        profile.CountChanges(1, T0);
        Assert.False(profile.IsDue(Policy, llmEnabled: true, T0));
        profile.CountChanges(8, T0.AddSeconds(5));
        Assert.False(profile.IsDue(Policy, llmEnabled: true, T0.AddSeconds(5)));
        profile.CountChanges(1, T0.AddSeconds(6));
        Assert.True(profile.IsDue(Policy, llmEnabled: true, T0.AddSeconds(6)));
    }

    [Fact]
    public void A_user_never_profiled_with_few_interactions_is_due_T_after_the_first_one()
    {
        var profile = new UserProfile();
        profile.CountChanges(2, T0);
        profile.CountChanges(1, T0.AddMinutes(10));
        Assert.Equal(T0.AddMinutes(30), profile.NextCheck(Policy, llmEnabled: true));
        Assert.False(profile.IsDue(Policy, llmEnabled: true, T0.AddMinutes(29)));
        Assert.True(profile.IsDue(Policy, llmEnabled: true, T0.AddMinutes(30)));
    }

    [Fact]
    public void After_a_request_N_more_interactions_wait_for_the_minimum_interval()
    {
        var profile = new UserProfile();
        profile.CountChanges(10, T0);
        Assert.True(profile.MarkRequestedIfDue(Policy, llmEnabled: true, T0));
        Assert.Equal(0, profile.PendingChanges);
        Assert.Null(profile.NextCheck(Policy, llmEnabled: true));

        profile.CountChanges(25, T0.AddSeconds(30));
        Assert.False(profile.IsDue(Policy, llmEnabled: true, T0.AddSeconds(59)));
        Assert.Equal(T0.AddMinutes(1), profile.NextCheck(Policy, llmEnabled: true));
        Assert.True(profile.IsDue(Policy, llmEnabled: true, T0.AddMinutes(1)));
    }

    [Fact]
    public void After_a_request_one_interaction_is_enough_once_the_profile_is_T_old()
    {
        var profile = new UserProfile();
        profile.CountChanges(10, T0);
        Assert.True(profile.MarkRequestedIfDue(Policy, llmEnabled: true, T0));
        profile.CountChanges(1, T0.AddMinutes(5));
        Assert.False(profile.IsDue(Policy, llmEnabled: true, T0.AddMinutes(29)));
        Assert.Equal(T0.AddMinutes(30), profile.NextCheck(Policy, llmEnabled: true));
        Assert.True(profile.IsDue(Policy, llmEnabled: true, T0.AddMinutes(30)));
    }

    [Fact]
    public void A_failed_request_is_asked_again_after_the_minimum_interval_not_after_N_more_clicks()
    {
        var profile = new UserProfile();
        profile.CountChanges(10, T0);
        Assert.True(profile.MarkRequestedIfDue(Policy, llmEnabled: true, T0));
        profile.RestorePending(Policy, T0.AddSeconds(2));
        Assert.Equal(10, profile.PendingChanges);
        Assert.False(profile.IsDue(Policy, llmEnabled: true, T0.AddSeconds(30)));
        Assert.True(profile.IsDue(Policy, llmEnabled: true, T0.AddMinutes(1)));
    }

    [Fact]
    public void With_the_LLM_off_any_pending_change_is_due_at_once_and_no_timer_is_needed()
    {
        var profile = new UserProfile();
        Assert.False(profile.IsDue(Policy, llmEnabled: false, T0));
        profile.CountChanges(1, T0);
        Assert.True(profile.IsDue(Policy, llmEnabled: false, T0));
        Assert.Null(profile.NextCheck(Policy, llmEnabled: false));
    }

    [Fact]
    public void A_profile_is_marked_asked_only_when_due_and_late_answers_never_overwrite_newer_ones()
    {
        var profile = new UserProfile();
        profile.CountChanges(3, T0);
        Assert.False(profile.MarkRequestedIfDue(Policy, llmEnabled: true, T0));
        Assert.Equal(3, profile.PendingChanges);

        Assert.True(profile.TryStore(new ProfileUpdate { Version = 20, Outcome = LlmJobOutcome.Succeeded, Text = "Likes heists.", Source = UserProfile.LlmSource }, T0));
        Assert.False(profile.TryStore(new ProfileUpdate { Version = 10, Outcome = LlmJobOutcome.Succeeded, Text = "Older.", Source = UserProfile.LlmSource }, T0));
        Assert.False(profile.TryStore(new ProfileUpdate { Version = 30, Outcome = LlmJobOutcome.Failed, Source = UserProfile.LlmSource }, T0));
        Assert.Equal("Likes heists.", profile.Text);
        Assert.Equal(20, profile.Version);

        // With the LLM off, clearing the preferences clears the profile they were.
        Assert.True(profile.TryStore(new ProfileUpdate { Version = 40, Outcome = LlmJobOutcome.Skipped, Source = UserProfile.PreferencesSource }, T0.AddMinutes(1)));
        Assert.Null(profile.Text);
        Assert.Equal(T0.AddMinutes(1), profile.UpdatedAt);
    }

    [Fact]
    public void A_first_re_rank_is_asked_for_a_user_without_scores()
    {
        var top = Top(40);
        Assert.Equal(RerankScores.FirstRerank, new RerankScores().ReasonToAsk(top, Catalogue, "k", 0.2));
        Assert.Null(new RerankScores().ReasonToAsk([], Catalogue, "k", 0.2));
    }

    [Fact]
    public void A_new_profile_or_new_preferences_call_for_new_scores()
    {
        var top = Top(40);
        Assert.Equal(RerankScores.ContextChanged, Scored(Enumerable.Range(1, 40), "old").ReasonToAsk(top, Catalogue, "new", 0.2));
        Assert.Null(Scored(Enumerable.Range(1, 40), "same").ReasonToAsk(top, Catalogue, "same", 0.2));
    }

    [Fact]
    public void Drifted_candidates_call_for_new_scores_only_past_the_unscored_share()
    {
        var top = Top(40);
        // 20 % of 40 is 8 candidates without a score.
        Assert.Null(Scored(Enumerable.Range(8, 33), "k").ReasonToAsk(top, Catalogue, "k", 0.2));
        Assert.Equal(RerankScores.CandidatesDrifted, Scored(Enumerable.Range(9, 32), "k").ReasonToAsk(top, Catalogue, "k", 0.2));
    }

    private static readonly Catalogue.ItemCatalogue Catalogue = TestWorld.Catalogue();

    /// <summary>Items "1".."count" as dense indexes.</summary>
    private static List<int> Top(int count) => Enumerable.Range(1, count).Select(i => Index($"{i}")).ToList();

    private static int Index(string itemId) => Catalogue.TryGetIndex(itemId, out var index) ? index : throw new ArgumentException(itemId);

    private static RerankScores Scored(IEnumerable<int> items, string contextKey)
    {
        var scores = new RerankScores();
        scores.Merge(items.Select(i => new ItemScore { ItemId = $"{i}", Score = 0.5f }).ToList(), version: 1, contextKey, T0, new HashSet<string>());
        return scores;
    }
}
