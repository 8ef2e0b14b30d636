namespace Orleans.LlmRec.Llm.Profiles;

/// <summary>
/// Decides when a user's profile is worth rewriting, so that a burst of clicks costs one LLM call, not one per click:
/// after <see cref="InteractionThreshold"/> new interactions, or once the profile is <see cref="MaxAge"/> old and at
/// least one interaction is new; never twice within <see cref="MinInterval"/>.
/// </summary>
public sealed class ProfileRefreshPolicy
{
    public ProfileRefreshPolicy(int interactionThreshold, TimeSpan maxAge, TimeSpan minInterval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(interactionThreshold, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxAge, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(minInterval, TimeSpan.Zero);
        InteractionThreshold = interactionThreshold;
        MaxAge = maxAge;
        MinInterval = minInterval;
    }

    public ProfileRefreshPolicy(LlmOptions options)
        : this(options.ProfileRefreshInteractions, options.ProfileRefreshInterval, options.ProfileMinRefreshInterval)
    {
    }

    public int InteractionThreshold { get; }

    public TimeSpan MaxAge { get; }

    public TimeSpan MinInterval { get; }

    /// <param name="newInteractions">Interactions since the profile was last requested.</param>
    /// <param name="lastRefreshedAt">When the profile was last requested; null if never.</param>
    /// <param name="now">The current time.</param>
    public bool ShouldRefresh(int newInteractions, DateTimeOffset? lastRefreshedAt, DateTimeOffset now)
    {
        if (newInteractions <= 0)
        {
            return false;
        }
        if (lastRefreshedAt is not { } last)
        {
            return true;
        }
        var age = now - last;
        if (age < MinInterval)
        {
            return false;
        }
        return newInteractions >= InteractionThreshold || age >= MaxAge;
    }

    /// <summary>When to look again if nothing else happens: the moment the profile reaches <see cref="MaxAge"/>.</summary>
    public DateTimeOffset NextCheck(DateTimeOffset lastRefreshedAt) => lastRefreshedAt + MaxAge;
}
