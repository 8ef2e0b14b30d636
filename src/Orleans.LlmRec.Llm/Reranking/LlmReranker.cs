using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.LlmRec.Llm.Prompts;

namespace Orleans.LlmRec.Llm.Reranking;

/// <summary>
/// Re-ranks a user's best <see cref="LlmOptions.RerankCandidates"/> candidates with one LLM call that returns a score
/// per item as structured JSON. The answer is validated against the candidates sent (see <see cref="RerankValidator"/>);
/// an unreadable answer, or one with no usable score, is a counted failure and the caller keeps its feed.
/// </summary>
public sealed class LlmReranker : IReranker
{
    internal const string Operation = "rerank";

    private readonly LlmOptions _options;
    private readonly LlmCaller _caller;
    private readonly ILogger _logger;

    public LlmReranker(
        IChatClient chatClient,
        LlmOptions options,
        LlmMetrics metrics,
        LlmResponseCache? cache = null,
        ILogger<LlmReranker>? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _caller = LlmCaller.For(chatClient, metrics, cache, timeProvider, _logger);
    }

    public RerankSource Source => RerankSource.Llm;

    public int EstimateTokens(RerankRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var candidates = TopCandidates(request.Candidates, _options.RerankCandidates);
        var messages = RerankPrompt.Build(request, candidates, _options.ProfileMaxItems, _options.ItemDescriptionMaxChars);
        return PromptData.EstimateTokens(messages.Sum(m => m.Text.Length)) + RerankPrompt.MaxOutputTokens(candidates.Count);
    }

    public async Task<RerankResult> RerankAsync(RerankRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var candidates = TopCandidates(request.Candidates, _options.RerankCandidates);
        if (candidates.Count == 0)
        {
            return RerankResult.Skipped(RerankSource.Llm, "No candidates to re-rank.");
        }

        var candidateIds = candidates.Select(c => c.ItemId).ToHashSet(StringComparer.Ordinal);
        var messages = RerankPrompt.Build(request, candidates, _options.ProfileMaxItems, _options.ItemDescriptionMaxChars);
        var chatOptions = new ChatOptions
        {
            Temperature = _options.Temperature,
            MaxOutputTokens = RerankPrompt.MaxOutputTokens(candidates.Count),
        };
        // The schema is generated with the default options (a clean schema); the answer is read leniently after.
        var call = await _caller.CallAsync(
            Operation,
            (client, ct) => client.GetResponseAsync<RerankAnswer>(
                messages, AIJsonUtilities.DefaultOptions, chatOptions, _options.UseJsonSchemaResponseFormat, ct),
            cancellationToken).ConfigureAwait(false);
        if (call.Response is null)
        {
            return RerankResult.Failed(RerankSource.Llm, call.FailureReason ?? LlmFailure.Other);
        }

        var usage = LlmCaller.UsageOf(call.Response);
        if (!StructuredAnswer.TryRead(call.Response, out var answer))
        {
            await _caller.RejectedAsync(call, LlmFailure.Malformed, usage, Excerpt(call.Response.Text), cancellationToken).ConfigureAwait(false);
            return RerankResult.Failed(RerankSource.Llm, LlmFailure.Malformed, usage);
        }

        var (scores, report) = RerankValidator.Validate(answer, candidateIds);
        _caller.RecordValidation(Operation, report.UnknownIds, report.DuplicateIds, report.ClampedScores);
        Log.RerankValidated(_logger, Operation, report.Accepted, report.UnknownIds, report.DuplicateIds, report.ClampedScores);
        if (scores.Count == 0)
        {
            await _caller.RejectedAsync(call, LlmFailure.Invalid, usage,
                $"none of {report.Returned} entries scored a candidate", cancellationToken).ConfigureAwait(false);
            return RerankResult.Failed(RerankSource.Llm, LlmFailure.Invalid, usage, report);
        }
        _caller.Succeeded(call, usage);
        return new RerankResult(LlmResultStatus.Succeeded, scores, RerankSource.Llm, usage, report);
    }

    /// <summary>The best <paramref name="count"/> candidates by model score (ties keep their order), each id once.</summary>
    internal static IReadOnlyList<RerankCandidate> TopCandidates(IReadOnlyList<RerankCandidate> candidates, int count)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return candidates
            .Select((candidate, index) => (candidate, index))
            .OrderByDescending(c => c.candidate.ModelScore)
            .ThenBy(c => c.index)
            .Select(c => c.candidate)
            .Where(c => seen.Add(c.ItemId))
            .Take(count)
            .ToArray();
    }

    private static string Excerpt(string? text) =>
        string.IsNullOrEmpty(text) ? "(empty)" : text.Length <= 200 ? text : string.Concat(text.AsSpan(0, 200), "…");
}
