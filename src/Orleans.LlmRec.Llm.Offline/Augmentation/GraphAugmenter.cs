using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.LlmRec.Llm.Offline.Prompts;
using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Llm.Offline.Augmentation;

/// <summary>One user to augment: their history and the base model's top candidates (ids are <see cref="ItemInfo.ExternalId"/>).</summary>
public sealed record AugmentationUser(string UserId, IReadOnlyList<ItemInfo> History, IReadOnlyList<ItemInfo> Candidates)
{
    /// <summary>A written preference profile (LLMRec's user-profile augmentation), shown to the LLM when present.</summary>
    public string? Profile { get; init; }
}

/// <summary>The outcome for one user: a triple, or why there is none.</summary>
public sealed record AugmentationChoice(LlmResultStatus Status, AugmentedTriple? Triple, LlmUsage Usage, string? Error = null);

/// <summary>Totals of an augmentation run.</summary>
public sealed record AugmentationSummary(int Users, int Triples, int Failed, int Skipped, long InputTokens, long OutputTokens);

/// <summary>Progress of an augmentation run, reported after each user.</summary>
public readonly record struct AugmentationProgress(int UsersDone, int Triples, int Failed);

/// <summary>
/// LLMRec's graph augmentation, offline: per user, the LLM picks one liked and one disliked item among the base
/// model's top candidates, and the pair becomes a BPR triple (user, pos, neg) with its provenance. Answers naming
/// anything but two different candidates are counted failures and produce no triple. How trainers sample these
/// triples and prune noisy ones is the trainers' business.
/// </summary>
public sealed class GraphAugmenter
{
    internal const string Operation = "augment";

    private readonly LlmOptions _options;
    private readonly LlmCaller _caller;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;

    public GraphAugmenter(
        IChatClient chatClient,
        LlmOptions options,
        LlmMetrics metrics,
        LlmResponseCache? cache = null,
        ILogger<GraphAugmenter>? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _caller = LlmCaller.For(chatClient, metrics, cache, _timeProvider, _logger);
    }

    /// <summary>Asks the LLM for one user's pair and validates it against the user's candidates.</summary>
    public async Task<AugmentationChoice> ChooseAsync(AugmentationUser user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var candidateIds = user.Candidates.Select(c => c.ExternalId).ToHashSet(StringComparer.Ordinal);
        if (candidateIds.Count < 2)
        {
            return new AugmentationChoice(LlmResultStatus.Skipped, null, LlmUsage.None, "Fewer than two distinct candidates.");
        }

        var messages = AugmentationPrompt.Build(user, _options.ProfileMaxItems, _options.ItemDescriptionMaxChars);
        var promptHash = AugmentationPrompt.Hash(messages);
        var chatOptions = new ChatOptions { Temperature = _options.Temperature, MaxOutputTokens = AugmentationPrompt.MaxOutputTokens };
        var call = await _caller.CallAsync(
            Operation,
            (client, ct) => client.GetResponseAsync<AugmentationAnswer>(
                messages, AIJsonUtilities.DefaultOptions, chatOptions, _options.UseJsonSchemaResponseFormat, ct),
            cancellationToken).ConfigureAwait(false);
        if (call.Response is null)
        {
            return new AugmentationChoice(LlmResultStatus.Failed, null, LlmUsage.None, call.FailureReason);
        }

        var usage = LlmCaller.UsageOf(call.Response);
        if (!StructuredAnswer.TryRead(call.Response, out var answer))
        {
            await _caller.RejectedAsync(call, LlmFailure.Malformed, usage, "the answer is not the JSON asked for", cancellationToken)
                .ConfigureAwait(false);
            return new AugmentationChoice(LlmResultStatus.Failed, null, usage, LlmFailure.Malformed);
        }

        var liked = answer.LikedItemId?.Trim();
        var disliked = answer.DislikedItemId?.Trim();
        var unknown = (liked is null || !candidateIds.Contains(liked) ? 1 : 0) + (disliked is null || !candidateIds.Contains(disliked) ? 1 : 0);
        var same = unknown == 0 && string.Equals(liked, disliked, StringComparison.Ordinal);
        _caller.RecordValidation(Operation, unknown, same ? 1 : 0, 0);
        if (unknown > 0 || same)
        {
            var detail = same ? $"liked and disliked are both '{liked}'" : $"'{liked}'/'{disliked}' are not both candidates";
            await _caller.RejectedAsync(call, LlmFailure.Invalid, usage, detail, cancellationToken).ConfigureAwait(false);
            return new AugmentationChoice(LlmResultStatus.Failed, null, usage, LlmFailure.Invalid);
        }

        _caller.Succeeded(call, usage);
        var model = string.IsNullOrWhiteSpace(call.Response.ModelId) ? _options.Model : call.Response.ModelId;
        var triple = new AugmentedTriple(user.UserId, liked!, disliked!, model, promptHash, _timeProvider.GetUtcNow());
        return new AugmentationChoice(LlmResultStatus.Succeeded, triple, usage);
    }

    /// <summary>
    /// Augments every user, <see cref="LlmOptions.MaxConcurrency"/> at a time, writing each triple as soon as it is
    /// chosen. Failures are counted and skipped; only cancellation stops the run.
    /// </summary>
    public async Task<AugmentationSummary> AugmentAsync(
        IEnumerable<AugmentationUser> users,
        AugmentedTripleWriter writer,
        IProgress<AugmentationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(writer);
        int done = 0, triples = 0, failed = 0, skipped = 0;
        long inputTokens = 0, outputTokens = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(users, parallel, async (user, ct) =>
        {
            var choice = await ChooseAsync(user, ct).ConfigureAwait(false);
            Interlocked.Add(ref inputTokens, choice.Usage.FromCache ? 0 : choice.Usage.InputTokens);
            Interlocked.Add(ref outputTokens, choice.Usage.FromCache ? 0 : choice.Usage.OutputTokens);
            switch (choice.Status)
            {
                case LlmResultStatus.Succeeded:
                    await writer.WriteAsync(choice.Triple!, ct).ConfigureAwait(false);
                    Interlocked.Increment(ref triples);
                    break;
                case LlmResultStatus.Skipped:
                    Interlocked.Increment(ref skipped);
                    Log.AugmentationSkipped(_logger, user.UserId, choice.Error ?? "skipped");
                    break;
                default:
                    Interlocked.Increment(ref failed);
                    Log.AugmentationSkipped(_logger, user.UserId, choice.Error ?? "failed");
                    break;
            }
            var usersDone = Interlocked.Increment(ref done);
            progress?.Report(new AugmentationProgress(usersDone, Volatile.Read(ref triples), Volatile.Read(ref failed)));
        }).ConfigureAwait(false);
        return new AugmentationSummary(done, triples, failed, skipped, inputTokens, outputTokens);
    }
}
