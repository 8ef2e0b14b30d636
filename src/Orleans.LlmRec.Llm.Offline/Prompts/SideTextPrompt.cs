using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Orleans.LlmRec.Llm.Prompts;
using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Llm.Offline.Prompts;

/// <summary>The messages that ask for item attributes and structured user profiles (LLMRec's side-information augmentation).</summary>
internal static class SideTextPrompt
{
    public const string ItemSystemPrompt =
        "You describe movies for a recommender system. " + PromptData.DataRules + " " +
        "For every movie in the data, give its genres, main themes or moods, director, original language and country of " +
        "production, from your knowledge of the film and the text given. Leave a field empty when you do not know it; " +
        "never invent movies. Return JSON only, in the form {\"items\":[{\"itemId\":\"<id>\",\"genres\":[],\"themes\":[]," +
        "\"director\":\"\",\"language\":\"\",\"country\":\"\"}]}, one entry per movie, copying ids exactly as given.";

    public const string UserSystemPrompt =
        "You write structured preference profiles for a movie recommender system. " + PromptData.DataRules + " " +
        "From the user's history (highest rated first, with ratings when known), infer the genres, themes, directors " +
        "and languages they enjoy and the genres they avoid, and summarise their tastes in one or two sentences in the " +
        "third person. Generalise instead of listing titles. Return JSON only, in the form {\"likedGenres\":[]," +
        "\"dislikedGenres\":[],\"likedThemes\":[],\"likedDirectors\":[],\"languages\":[],\"summary\":\"\"}.";

    /// <summary>Tokens an attribute answer may use per item.</summary>
    public const int OutputTokensPerItem = 80;

    /// <summary>Tokens a profile answer may use.</summary>
    public const int ProfileOutputTokens = 300;

    public static List<ChatMessage> BuildItems(IReadOnlyList<ItemInfo> items, int maxDescriptionChars)
    {
        var array = new JsonArray();
        foreach (var item in items)
        {
            array.Add(new JsonObject { ["itemId"] = item.ExternalId, ["item"] = PromptData.ItemText(item, maxDescriptionChars) });
        }
        return
        [
            new ChatMessage(ChatRole.System, ItemSystemPrompt),
            new ChatMessage(ChatRole.User, "Give the attributes of the movies in this data.\n" + PromptData.Block(new JsonObject { ["movies"] = array })),
        ];
    }

    public static List<ChatMessage> BuildUser(IReadOnlyList<ItemInfo> history, string? statedPreferences, int maxItems, int maxDescriptionChars)
    {
        var data = new JsonObject
        {
            ["userHistory"] = PromptData.TextArray(history.Take(maxItems).Select(i => PromptData.ItemText(i, maxDescriptionChars))),
        };
        if (!string.IsNullOrWhiteSpace(statedPreferences))
        {
            data["statedPreferences"] = statedPreferences.Trim();
        }
        return
        [
            new ChatMessage(ChatRole.System, UserSystemPrompt),
            new ChatMessage(ChatRole.User, "Write the structured preference profile of the user described by this data.\n" + PromptData.Block(data)),
        ];
    }
}
