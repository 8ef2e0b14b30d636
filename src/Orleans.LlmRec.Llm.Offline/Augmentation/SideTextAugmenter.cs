using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Orleans.LlmRec.Llm.Offline.Prompts;
using Orleans.LlmRec.Llm.Prompts;
using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Llm.Offline.Augmentation;

/// <summary>One batch of item attributes: the entries kept and what validation dropped.</summary>
public sealed record ItemAttributesResult(
    LlmResultStatus Status, IReadOnlyList<SideEntry> Entries, int UnknownIds, int DuplicateIds, int Missing, LlmUsage Usage, string? Error = null);

/// <summary>One user's structured profile, or why there is none.</summary>
public sealed record UserProfileResult(LlmResultStatus Status, SideEntry? Entry, LlmUsage Usage, string? Error = null);

/// <summary>Totals of a side-text run. <see cref="Failed"/> counts calls (batches or users) that gave nothing.</summary>
public sealed record SideTextSummary(int Requested, int Written, int Failed, int UnknownIds, int DuplicateIds, int Missing, long InputTokens, long OutputTokens);

/// <summary>A user to profile: their history (highest rated first) and any words of their own.</summary>
public sealed record ProfileSubject(string UserId, IReadOnlyList<ItemInfo> History, string? Preferences = null);

/// <summary>
/// LLMRec's side-information augmentation, offline: the LLM writes item attributes (genres, themes, director,
/// language, country; several items per call) and structured user profiles (liked and disliked genres, themes,
/// directors, languages and a summary), as structured JSON through the same chat pipeline. Answers are validated: ids
/// that were not asked about are dropped and counted as hallucinated (<c>llmrec.llm.rerank.rejected_ids</c>,
/// reason <c>unknown</c>), repeated ids keep their first entry, values are trimmed, capped and de-duplicated, and an
/// unreadable answer or one with nothing usable is a counted failure. Each result is a <see cref="SideEntry"/> whose
/// source names the model (<c>llm:&lt;model&gt;</c>).
/// </summary>
public sealed class SideTextAugmenter
{
    internal const string AttributesOperation = "item_attributes";
    internal const string ProfileOperation = "user_profile";

    /// <summary>Values longer than this are cut; lists keep at most <see cref="MaxListEntries"/>.</summary>
    public const int MaxValueChars = 60;

    public const int MaxListEntries = 5;

    private static readonly HashSet<string> Placeholders = new(StringComparer.OrdinalIgnoreCase) { "unknown", "n/a", "na", "none", "-", "null", "?" };

    private readonly LlmOptions _options;
    private readonly LlmCaller _caller;

    public SideTextAugmenter(
        IChatClient chatClient,
        LlmOptions options,
        LlmMetrics metrics,
        LlmResponseCache? cache = null,
        ILogger<SideTextAugmenter>? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _caller = LlmCaller.For(chatClient, metrics, cache, timeProvider, logger);
    }

    /// <summary>Asks for the attributes of one batch of items and keeps the valid entries.</summary>
    public async Task<ItemAttributesResult> DescribeItemsAsync(IReadOnlyList<ItemInfo> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var asked = items.Select(i => i.ExternalId).ToHashSet(StringComparer.Ordinal);
        if (asked.Count == 0)
        {
            return new ItemAttributesResult(LlmResultStatus.Skipped, [], 0, 0, 0, LlmUsage.None, "No items.");
        }
        var messages = SideTextPrompt.BuildItems(items, _options.ItemDescriptionMaxChars);
        var chatOptions = new ChatOptions { Temperature = _options.Temperature, MaxOutputTokens = 40 + (SideTextPrompt.OutputTokensPerItem * items.Count) };
        var call = await _caller.CallAsync(
            AttributesOperation,
            (client, ct) => client.GetResponseAsync<ItemAttributesAnswer>(messages, AIJsonUtilities.DefaultOptions, chatOptions, _options.UseJsonSchemaResponseFormat, ct),
            cancellationToken).ConfigureAwait(false);
        if (call.Response is null)
        {
            return new ItemAttributesResult(LlmResultStatus.Failed, [], 0, 0, asked.Count, LlmUsage.None, call.FailureReason);
        }
        var usage = LlmCaller.UsageOf(call.Response);
        if (!StructuredAnswer.TryRead(call.Response, out var answer) || answer.Items is null)
        {
            await _caller.RejectedAsync(call, LlmFailure.Malformed, usage, "the answer is not the JSON asked for", cancellationToken).ConfigureAwait(false);
            return new ItemAttributesResult(LlmResultStatus.Failed, [], 0, 0, asked.Count, usage, LlmFailure.Malformed);
        }

        var source = Source(call.Response);
        var entries = new List<SideEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int unknown = 0, duplicate = 0;
        foreach (var entry in answer.Items)
        {
            var id = entry?.ItemId?.Trim();
            if (id is null || !asked.Contains(id))
            {
                unknown++;
                continue;
            }
            if (!seen.Add(id))
            {
                duplicate++;
                continue;
            }
            if (AttributeText(entry!) is { } text)
            {
                entries.Add(new SideEntry(SideEntryKind.ItemAttributes, id, text, source));
            }
        }
        var missing = asked.Count - entries.Count;
        _caller.RecordValidation(AttributesOperation, unknown, duplicate, 0);
        if (entries.Count == 0)
        {
            await _caller.RejectedAsync(call, LlmFailure.Invalid, usage, $"no usable entry ({unknown} unknown ids, {duplicate} repeated)", cancellationToken).ConfigureAwait(false);
            return new ItemAttributesResult(LlmResultStatus.Failed, [], unknown, duplicate, missing, usage, LlmFailure.Invalid);
        }
        _caller.Succeeded(call, usage);
        return new ItemAttributesResult(LlmResultStatus.Succeeded, entries, unknown, duplicate, missing, usage);
    }

    /// <summary>
    /// Describes every item, <paramref name="batchSize"/> per call and <see cref="LlmOptions.MaxConcurrency"/> calls
    /// at a time. Entries come back in the items' order; failed batches are counted and skipped.
    /// </summary>
    public async Task<(IReadOnlyList<SideEntry> Entries, SideTextSummary Summary)> DescribeAllItemsAsync(
        IEnumerable<ItemInfo> items, int batchSize, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var batches = items.Chunk(batchSize).ToArray();
        var results = new ItemAttributesResult[batches.Length];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, batches.Length), parallel, async (i, ct) =>
            results[i] = await DescribeItemsAsync(batches[i], ct).ConfigureAwait(false)).ConfigureAwait(false);
        var entries = results.SelectMany(r => r.Entries).ToList();
        var summary = new SideTextSummary(
            batches.Sum(b => b.Length), entries.Count, results.Count(r => r.Status != LlmResultStatus.Succeeded),
            results.Sum(r => r.UnknownIds), results.Sum(r => r.DuplicateIds), results.Sum(r => r.Missing),
            results.Sum(r => r.Usage.FromCache ? 0 : r.Usage.InputTokens), results.Sum(r => r.Usage.FromCache ? 0 : r.Usage.OutputTokens));
        return (entries, summary);
    }

    /// <summary>Asks for one user's structured profile.</summary>
    public async Task<UserProfileResult> ProfileUserAsync(ProfileSubject user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        if (user.History.Count == 0 && string.IsNullOrWhiteSpace(user.Preferences))
        {
            return new UserProfileResult(LlmResultStatus.Skipped, null, LlmUsage.None, "The user has no items and no stated preferences.");
        }
        var messages = SideTextPrompt.BuildUser(user.History, user.Preferences, _options.ProfileMaxItems, _options.ItemDescriptionMaxChars);
        var chatOptions = new ChatOptions { Temperature = _options.Temperature, MaxOutputTokens = SideTextPrompt.ProfileOutputTokens };
        var call = await _caller.CallAsync(
            ProfileOperation,
            (client, ct) => client.GetResponseAsync<UserProfileAnswer>(messages, AIJsonUtilities.DefaultOptions, chatOptions, _options.UseJsonSchemaResponseFormat, ct),
            cancellationToken).ConfigureAwait(false);
        if (call.Response is null)
        {
            return new UserProfileResult(LlmResultStatus.Failed, null, LlmUsage.None, call.FailureReason);
        }
        var usage = LlmCaller.UsageOf(call.Response);
        if (!StructuredAnswer.TryRead(call.Response, out var answer))
        {
            await _caller.RejectedAsync(call, LlmFailure.Malformed, usage, "the answer is not the JSON asked for", cancellationToken).ConfigureAwait(false);
            return new UserProfileResult(LlmResultStatus.Failed, null, usage, LlmFailure.Malformed);
        }
        var text = ProfileText(answer, _options.ProfileMaxWords);
        if (text is null)
        {
            await _caller.RejectedAsync(call, LlmFailure.Empty, usage, "the profile has no usable field", cancellationToken).ConfigureAwait(false);
            return new UserProfileResult(LlmResultStatus.Failed, null, usage, LlmFailure.Empty);
        }
        _caller.Succeeded(call, usage);
        return new UserProfileResult(LlmResultStatus.Succeeded, new SideEntry(SideEntryKind.User, user.UserId, text, Source(call.Response)), usage);
    }

    /// <summary>Profiles every user, <see cref="LlmOptions.MaxConcurrency"/> at a time; entries in the users' order.</summary>
    public async Task<(IReadOnlyList<SideEntry> Entries, SideTextSummary Summary)> ProfileUsersAsync(
        IEnumerable<ProfileSubject> users, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        var subjects = users.ToArray();
        var results = new UserProfileResult[subjects.Length];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.MaxConcurrency, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, subjects.Length), parallel, async (i, ct) =>
            results[i] = await ProfileUserAsync(subjects[i], ct).ConfigureAwait(false)).ConfigureAwait(false);
        var entries = results.Where(r => r.Entry is not null).Select(r => r.Entry!).ToList();
        var summary = new SideTextSummary(
            subjects.Length, entries.Count, results.Count(r => r.Status != LlmResultStatus.Succeeded), 0, 0, 0,
            results.Sum(r => r.Usage.FromCache ? 0 : r.Usage.InputTokens), results.Sum(r => r.Usage.FromCache ? 0 : r.Usage.OutputTokens));
        return (entries, summary);
    }

    /// <summary>An item's attributes as one line of prompt text, or null when nothing usable is left.</summary>
    internal static string? AttributeText(ItemAttributesEntry entry)
    {
        var parts = new List<string>();
        AddList(parts, "genres", entry.Genres);
        AddList(parts, "themes", entry.Themes);
        AddValue(parts, "director", entry.Director);
        AddValue(parts, "language", entry.Language);
        AddValue(parts, "country", entry.Country);
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    /// <summary>A structured profile as prose for prompts and the TF-IDF re-ranker, or null when nothing usable is left.</summary>
    internal static string? ProfileText(UserProfileAnswer answer, int maxWords)
    {
        var parts = new List<string>();
        AddList(parts, "likes genres", answer.LikedGenres);
        AddList(parts, "avoids genres", answer.DislikedGenres);
        AddList(parts, "likes themes", answer.LikedThemes);
        AddList(parts, "likes directors", answer.LikedDirectors);
        AddList(parts, "languages", answer.Languages);
        var summary = ProfilePrompt.Clean(answer.Summary, maxWords);
        if (parts.Count == 0 && summary is null)
        {
            return null;
        }
        var text = new StringBuilder();
        if (summary is not null)
        {
            text.Append(summary);
        }
        if (parts.Count > 0)
        {
            text.Append(text.Length > 0 ? " (" : "(").Append(string.Join("; ", parts)).Append(')');
        }
        return text.ToString();
    }

    private static void AddValue(List<string> parts, string name, string? value)
    {
        if (CleanValue(value) is { } cleaned)
        {
            parts.Add($"{name}: {cleaned}");
        }
    }

    private static void AddList(List<string> parts, string name, List<string>? values)
    {
        if (values is null)
        {
            return;
        }
        var kept = values.Select(CleanValue).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).Take(MaxListEntries).ToArray();
        if (kept.Length > 0)
        {
            parts.Add($"{name}: {string.Join(", ", kept)}");
        }
    }

    private static string? CleanValue(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        var cleaned = string.Join(' ', value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Trim('"', '\'', '.', ';', ',');
        if (cleaned.Length == 0 || Placeholders.Contains(cleaned))
        {
            return null;
        }
        return cleaned.Length <= MaxValueChars ? cleaned : cleaned[..MaxValueChars].TrimEnd() + "…";
    }

    private string Source(ChatResponse response) =>
        "llm:" + (string.IsNullOrWhiteSpace(response.ModelId) ? _options.Model : response.ModelId);
}
