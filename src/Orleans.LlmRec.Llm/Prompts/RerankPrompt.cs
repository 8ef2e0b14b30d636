using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Orleans.LlmRec.Llm.Reranking;

namespace Orleans.LlmRec.Llm.Prompts;

/// <summary>The messages that ask the LLM to score a user's candidates, all in one call.</summary>
internal static class RerankPrompt
{
    public const string SystemPrompt =
        "You are the ranking component of a movie recommender system. You judge how well each candidate item matches " +
        "one user's tastes. " + PromptData.DataRules + " " +
        "Return JSON only, in the form {\"scores\":[{\"itemId\":\"<candidate id>\",\"score\":<number from 0 to 1>}]}, " +
        "with exactly one entry for every candidate and no other ids. Copy each itemId exactly as given. " +
        "A score of 1 means an excellent match, 0 a poor one; use the whole range.";

    /// <summary>Tokens per answer entry: the id, the score and JSON punctuation.</summary>
    private const int OutputTokensPerCandidate = 16;

    public static List<ChatMessage> Build(RerankRequest request, IReadOnlyList<RerankCandidate> candidates, int maxRecentItems, int maxDescriptionChars)
    {
        var user = new JsonObject
        {
            ["profile"] = Trimmed(request.User.Profile),
            ["statedPreferences"] = Trimmed(request.User.Preferences),
            ["recentItems"] = PromptData.TextArray(request.User.RecentItems.Take(maxRecentItems).Select(i => PromptData.ItemText(i, 0))),
        };
        var items = new JsonArray();
        foreach (var candidate in candidates)
        {
            items.Add(new JsonObject
            {
                ["itemId"] = candidate.ItemId,
                ["item"] = PromptData.ItemText(candidate.Item, maxDescriptionChars),
            });
        }
        var data = new JsonObject { ["user"] = user, ["candidates"] = items };
        return
        [
            new ChatMessage(ChatRole.System, SystemPrompt),
            new ChatMessage(ChatRole.User,
                $"Score each of the {candidates.Count} candidates for the user described by this data.\n" + PromptData.Block(data)),
        ];
    }

    public static int MaxOutputTokens(int candidateCount) => 32 + (candidateCount * OutputTokensPerCandidate);

    private static string? Trimmed(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
