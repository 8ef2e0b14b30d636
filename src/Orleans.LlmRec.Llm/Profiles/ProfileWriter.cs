using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Orleans.LlmRec.Llm.Prompts;

namespace Orleans.LlmRec.Llm.Profiles;

/// <summary>Asks the LLM for a short preference profile from a user's top and recent items and stated preferences.</summary>
public sealed class ProfileWriter : IProfileWriter
{
    internal const string Operation = "profile";

    private readonly LlmOptions _options;
    private readonly LlmCaller _caller;

    public ProfileWriter(
        IChatClient chatClient,
        LlmOptions options,
        LlmMetrics metrics,
        LlmResponseCache? cache = null,
        ILogger<ProfileWriter>? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _caller = LlmCaller.For(chatClient, metrics, cache, timeProvider, logger);
    }

    public int EstimateTokens(ProfileRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var messages = ProfilePrompt.Build(request, _options.ProfileMaxWords, _options.ProfileMaxItems, _options.ItemDescriptionMaxChars);
        return PromptData.EstimateTokens(messages.Sum(m => m.Text.Length)) + ProfilePrompt.MaxOutputTokens(_options.ProfileMaxWords);
    }

    public async Task<ProfileResult> WriteProfileAsync(ProfileRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.TopItems.Count == 0 && request.RecentItems.Count == 0 && string.IsNullOrWhiteSpace(request.Preferences))
        {
            return ProfileResult.Skipped(ProfileSource.Llm, "The user has no items and no stated preferences.");
        }

        var messages = ProfilePrompt.Build(request, _options.ProfileMaxWords, _options.ProfileMaxItems, _options.ItemDescriptionMaxChars);
        var chatOptions = new ChatOptions
        {
            Temperature = _options.Temperature,
            MaxOutputTokens = ProfilePrompt.MaxOutputTokens(_options.ProfileMaxWords),
        };
        var call = await _caller.CallAsync(Operation, (client, ct) => client.GetResponseAsync(messages, chatOptions, ct), cancellationToken)
            .ConfigureAwait(false);
        if (call.Response is null)
        {
            return ProfileResult.Failed(ProfileSource.Llm, call.FailureReason ?? LlmFailure.Other);
        }

        var usage = LlmCaller.UsageOf(call.Response);
        var text = ProfilePrompt.Clean(call.Response.Text, _options.ProfileMaxWords);
        if (text is null)
        {
            await _caller.RejectedAsync(call, LlmFailure.Empty, usage, "the answer had no text", cancellationToken).ConfigureAwait(false);
            return ProfileResult.Failed(ProfileSource.Llm, LlmFailure.Empty, usage);
        }
        if (ProfileTextRules.Problem(text) is { } problem)
        {
            await _caller.RejectedAsync(call, LlmFailure.Invalid, usage, $"the profile {problem}", cancellationToken).ConfigureAwait(false);
            return ProfileResult.Failed(ProfileSource.Llm, LlmFailure.Invalid, usage);
        }
        _caller.Succeeded(call, usage);
        return new ProfileResult(LlmResultStatus.Succeeded, text, ProfileSource.Llm, usage);
    }
}
