using Orleans.LlmRec.Llm.Profiles;
using Orleans.LlmRec.Llm.Prompts;
using static Orleans.LlmRec.Llm.UnitTests.TestItems;

namespace Orleans.LlmRec.Llm.UnitTests;

public class ProfilePromptTests
{
    [Fact]
    public void Cleaning_strips_quotes_headings_and_extra_whitespace()
    {
        Assert.Equal("The user likes noir.", ProfilePrompt.Clean("  \"Profile: The user   likes\nnoir.\"  ", 80));
        Assert.Null(ProfilePrompt.Clean("   ", 80));
        Assert.Null(ProfilePrompt.Clean("\"\"", 80));
    }

    [Fact]
    public void Cleaning_cuts_over_long_answers_at_a_quarter_above_the_limit()
    {
        var words = string.Join(' ', Enumerable.Range(1, 200).Select(i => $"w{i}"));

        var cleaned = ProfilePrompt.Clean(words, 40)!;

        Assert.Equal(50, cleaned.Split(' ').Length);
        Assert.EndsWith("w50…", cleaned, StringComparison.Ordinal);
    }

    [Fact]
    public void The_prompt_carries_items_preferences_and_the_word_limit()
    {
        var request = new ProfileRequest(
            "u1",
            [Movie("1", "Heat", 1995, ["Crime", "Thriller"], ["heist"], "A cop hunts a crew of thieves across Los Angeles.")],
            [Movie("2", "Ronin (1998)", 1998, ["Action"])],
            "Heists and car chases");

        var messages = ProfilePrompt.Build(request, maxWords: 60, maxItems: 5, maxDescriptionChars: 10);
        var data = PromptData.Extract(messages[1].Text)!;

        Assert.Contains("at most 60 words", messages[0].Text, StringComparison.Ordinal);
        Assert.Equal("Heat (1995); genres: Crime, Thriller; tags: heist; description: A cop hunt…", data["favouriteItems"]![0]!.GetValue<string>());
        Assert.Equal("Ronin (1998); genres: Action", data["recentItems"]![0]!.GetValue<string>());
        Assert.Equal("Heists and car chases", data["statedPreferences"]!.GetValue<string>());
    }

    [Fact]
    public void The_prompt_shows_at_most_the_configured_number_of_items()
    {
        var items = Enumerable.Range(1, 30).Select(i => Movie($"{i}", $"Movie {i}")).ToArray();

        var data = PromptData.Extract(ProfilePrompt.Build(new ProfileRequest("u1", items, items, null), 80, 7, 0)[1].Text)!;

        Assert.Equal(7, data["favouriteItems"]!.AsArray().Count);
        Assert.Equal(7, data["recentItems"]!.AsArray().Count);
        Assert.Null(data["statedPreferences"]);
    }

    [Fact]
    public async Task Without_the_llm_the_profile_is_the_users_own_text()
    {
        var writer = new PreferencesProfileWriter(new LlmOptions());

        var written = await writer.WriteProfileAsync(new ProfileRequest("u1", [], [], "  I like   slow cinema. "));
        var none = await writer.WriteProfileAsync(new ProfileRequest("u2", [Movie("1", "Heat")], [], null));

        Assert.Equal(LlmResultStatus.Succeeded, written.Status);
        Assert.Equal(ProfileSource.Preferences, written.Source);
        Assert.Equal("I like slow cinema.", written.Text);
        Assert.Equal(LlmResultStatus.Skipped, none.Status);
        Assert.Equal(0, writer.EstimateTokens(new ProfileRequest("u1", [], [], "x")));
    }
}
