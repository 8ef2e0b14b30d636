using Orleans.LlmRec.Llm.Prompts;

namespace Orleans.LlmRec.Llm.Profiles;

/// <summary>
/// The profile writer when the LLM is off: the user's own preference text is their profile (the first paper lets
/// users write their profile themselves). Users without one get no profile; the TF-IDF re-ranker then reads their
/// recent items instead.
/// </summary>
public sealed class PreferencesProfileWriter(LlmOptions options) : IProfileWriter
{
    public int EstimateTokens(ProfileRequest request) => 0;

    public Task<ProfileResult> WriteProfileAsync(ProfileRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var text = ProfilePrompt.Clean(request.Preferences, options.ProfileMaxWords);
        if (text is null) return Task.FromResult(ProfileResult.Skipped(ProfileSource.Preferences, "The LLM is off and the user stated no preferences."));
        // The API refuses such preferences; text stored before it did must not become a profile either.
        if (ProfileTextRules.Problem(text) is { } problem) return Task.FromResult(ProfileResult.Skipped(ProfileSource.Preferences, $"The preferences {problem}."));
        return Task.FromResult(new ProfileResult(LlmResultStatus.Succeeded, text, ProfileSource.Preferences, LlmUsage.None));
    }
}
