using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Orleans.LlmRec.Llm.Profiles;

namespace Orleans.LlmRec.Llm.Prompts;

/// <summary>The messages that ask for a user's preference profile.</summary>
internal static class ProfilePrompt
{
    public static string SystemPrompt(int maxWords) =>
        "You write short preference profiles for a movie recommender system. " + PromptData.DataRules + " " +
        $"Write at most {maxWords} words of plain prose in the third person (\"The user ...\"), describing the genres, " +
        "themes, moods, eras and styles the user enjoys and, where the data shows it, what they avoid. Generalise from " +
        "the items instead of listing titles. Answer with the profile text only: no heading, no list, no quotes.";

    public static List<ChatMessage> Build(ProfileRequest request, int maxWords, int maxItems, int maxDescriptionChars)
    {
        var data = new JsonObject
        {
            ["favouriteItems"] = PromptData.TextArray(request.TopItems.Take(maxItems).Select(i => PromptData.ItemText(i, maxDescriptionChars))),
            ["recentItems"] = PromptData.TextArray(request.RecentItems.Take(maxItems).Select(i => PromptData.ItemText(i, maxDescriptionChars))),
            ["statedPreferences"] = string.IsNullOrWhiteSpace(request.Preferences) ? null : request.Preferences.Trim(),
        };
        return
        [
            new ChatMessage(ChatRole.System, SystemPrompt(maxWords)),
            new ChatMessage(ChatRole.User, "Write the preference profile of the user described by this data.\n" + PromptData.Block(data)),
        ];
    }

    /// <summary>Tokens the answer may use: about 1.6 tokens a word, with room for the model to finish its sentence.</summary>
    public static int MaxOutputTokens(int maxWords) => (maxWords * 2) + 40;

    /// <summary>
    /// Tidies the model's answer: strips quotes or a "Profile:" heading some models add, collapses whitespace, and
    /// cuts at 1.25 × <paramref name="maxWords"/> words so an over-long answer cannot bloat later prompts.
    /// </summary>
    public static string? Clean(string? text, int maxWords)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var cleaned = text.Trim().Trim('"', '\'', '`', '“', '”').Trim();
        foreach (var heading in (string[])["Profile:", "Preference profile:", "User profile:"])
        {
            if (cleaned.StartsWith(heading, StringComparison.OrdinalIgnoreCase))
            {
                cleaned = cleaned[heading.Length..].TrimStart();
            }
        }
        var words = cleaned.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return null;
        }
        var limit = maxWords + (maxWords / 4);
        return words.Length <= limit ? string.Join(' ', words) : string.Join(' ', words.Take(limit)) + "…";
    }
}
