using Orleans.LlmRec.Llm.Profiles;

namespace Orleans.LlmRec.Llm.UnitTests;

public class ProfileRefreshPolicyTests
{
    private static readonly DateTimeOffset Last = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly ProfileRefreshPolicy _policy = new(interactionThreshold: 5, maxAge: TimeSpan.FromMinutes(30), minInterval: TimeSpan.FromMinutes(1));

    [Fact]
    public void A_user_never_profiled_is_profiled_at_the_first_interaction()
    {
        Assert.True(_policy.ShouldRefresh(1, null, Last));
        Assert.False(_policy.ShouldRefresh(0, null, Last));
    }

    [Fact]
    public void Refreshes_after_the_threshold_of_new_interactions()
    {
        Assert.False(_policy.ShouldRefresh(4, Last, Last.AddMinutes(5)));
        Assert.True(_policy.ShouldRefresh(5, Last, Last.AddMinutes(5)));
    }

    [Fact]
    public void Refreshes_an_old_profile_once_anything_is_new()
    {
        Assert.True(_policy.ShouldRefresh(1, Last, Last.AddMinutes(30)));
        Assert.False(_policy.ShouldRefresh(0, Last, Last.AddHours(5)));
        Assert.False(_policy.ShouldRefresh(1, Last, Last.AddMinutes(29)));
    }

    [Fact]
    public void Never_refreshes_twice_within_the_minimum_interval()
    {
        Assert.False(_policy.ShouldRefresh(100, Last, Last.AddSeconds(30)));
        Assert.True(_policy.ShouldRefresh(100, Last, Last.AddMinutes(1)));
    }

    [Fact]
    public void Next_check_is_when_the_profile_reaches_its_maximum_age() =>
        Assert.Equal(Last.AddMinutes(30), _policy.NextCheck(Last));

    [Fact]
    public void Takes_its_settings_from_the_options()
    {
        var policy = new ProfileRefreshPolicy(new LlmOptions { ProfileRefreshInteractions = 3, ProfileRefreshInterval = TimeSpan.FromHours(2) });

        Assert.Equal(3, policy.InteractionThreshold);
        Assert.Equal(TimeSpan.FromHours(2), policy.MaxAge);
    }
}
