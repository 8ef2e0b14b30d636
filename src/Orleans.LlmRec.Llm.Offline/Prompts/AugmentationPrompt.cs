using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Orleans.LlmRec.Llm.Offline.Augmentation;
using Orleans.LlmRec.Llm.Prompts;

namespace Orleans.LlmRec.Llm.Offline.Prompts;

/// <summary>The messages that ask the LLM to pick one liked and one disliked item among a user's candidates (LLMRec).</summary>
internal static class AugmentationPrompt
{
    public const string SystemPrompt =
        "You help build training data for a movie recommender system. " + PromptData.DataRules + " " +
        "From the user's history (and profile, when one is given), judge their tastes. Then choose, among the candidates only, the one item the user " +
        "would most likely enjoy and a different one they would least likely enjoy. Return JSON only, in the form " +
        "{\"likedItemId\":\"<candidate id>\",\"dislikedItemId\":\"<another candidate id>\"}, copying ids exactly as given.";

    public static List<ChatMessage> Build(AugmentationUser user, int maxHistoryItems, int maxDescriptionChars)
    {
        var candidates = new JsonArray();
        foreach (var item in user.Candidates)
        {
            candidates.Add(new JsonObject
            {
                ["itemId"] = item.ExternalId,
                ["item"] = PromptData.ItemText(item, maxDescriptionChars),
            });
        }
        var data = new JsonObject
        {
            ["userHistory"] = PromptData.TextArray(user.History.Take(maxHistoryItems).Select(i => PromptData.ItemText(i, 0))),
            ["candidates"] = candidates,
        };
        if (!string.IsNullOrWhiteSpace(user.Profile))
        {
            data["userProfile"] = user.Profile.Trim();
        }
        return
        [
            new ChatMessage(ChatRole.System, SystemPrompt),
            new ChatMessage(ChatRole.User, "Choose the liked and the disliked candidate for the user described by this data.\n" + PromptData.Block(data)),
        ];
    }

    /// <summary>SHA-256 (lower-case hex) over the roles and texts of the messages, in order.</summary>
    public static string Hash(IEnumerable<ChatMessage> messages)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var message in messages)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(message.Role.Value));
            hash.AppendData("\n"u8);
            hash.AppendData(Encoding.UTF8.GetBytes(message.Text));
            hash.AppendData("\n\n"u8);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    public const int MaxOutputTokens = 96;
}
