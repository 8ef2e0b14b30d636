using Orleans.LlmRec.Llm.Offline.Augmentation;
using Orleans.LlmRec.Llm.Prompts;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Testing.OpenAiStub;
using static Orleans.LlmRec.Llm.IntegrationTests.TestData;

namespace Orleans.LlmRec.Llm.IntegrationTests;

/// <summary>LLM-written item attributes and structured user profiles, through the real OpenAI client and the scripted server.</summary>
public sealed class SideTextAugmenterTests : IAsyncLifetime
{
    private ScriptedOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await ScriptedOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static readonly Recommendation.Data.ItemInfo[] Three =
    [
        Movie("10", "The Thing", 1982, ["Horror"]) with { Description = "An Antarctic research station is infiltrated by a shape-shifting alien." },
        Movie("11", "Notting Hill", 1999, ["Romance"]),
        Movie("12", "Predator", 1987, ["Action"]),
    ];

    [Fact]
    public async Task Item_attributes_keep_valid_entries_and_drop_and_count_hallucinated_and_repeated_ids()
    {
        await using var host = LlmTestHost.CreateOffline(_server);
        _server.Enqueue(ScriptedReply.Json(new
        {
            items = new object[]
            {
                new { itemId = "10", genres = new[] { "Horror", "Sci-Fi", "horror" }, themes = new[] { "paranoia", "isolation" }, director = "John Carpenter", language = "English", country = "USA" },
                new { itemId = 999, genres = new[] { "Drama" }, director = "Nobody" },
                new { itemId = "10", genres = new[] { "Comedy" } },
                new { itemId = 12, genres = Array.Empty<string>(), director = "  John   McTiernan ", language = "unknown", country = "" },
            },
        }).WithModel("stub-model-2025-01"));

        var result = await host.Get<SideTextAugmenter>().DescribeItemsAsync(Three);

        Assert.Equal(LlmResultStatus.Succeeded, result.Status);
        Assert.Equal((1, 1, 1), (result.UnknownIds, result.DuplicateIds, result.Missing));
        Assert.Equal(["10", "12"], result.Entries.Select(e => e.Id));
        Assert.All(result.Entries, e =>
        {
            Assert.Equal(SideEntryKind.ItemAttributes, e.Kind);
            Assert.Equal("llm:stub-model-2025-01", e.Source);
        });
        Assert.Equal("genres: Horror, Sci-Fi; themes: paranoia, isolation; director: John Carpenter; language: English; country: USA", result.Entries[0].Text);
        Assert.Equal("director: John McTiernan", result.Entries[1].Text);
        Assert.Equal(1, host.Metrics.Sum("llmrec.llm.rerank.rejected_ids", ("operation", "item_attributes"), ("reason", "unknown")));
        Assert.Equal(1, host.Metrics.Sum("llmrec.llm.rerank.rejected_ids", ("operation", "item_attributes"), ("reason", "duplicate")));
        // One call for the batch, structured output asked for, and the items went in as quoted data with their text.
        var request = Assert.Single(_server.Requests);
        Assert.Equal("json_schema", request.ResponseFormatType);
        var movies = PromptData.Extract(request.LastUserMessage)!["movies"]!.AsArray();
        Assert.Equal(["10", "11", "12"], movies.Select(m => (string)m!["itemId"]!));
        Assert.Contains("shape-shifting alien", (string)movies[0]!["item"]!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json at all", "malformed")]
    [InlineData("{\"items\":[{\"itemId\":\"77\",\"genres\":[\"Drama\"]},{\"itemId\":\"11\",\"director\":\"n/a\"}]}", "invalid")]
    public async Task An_item_answer_with_nothing_usable_is_a_counted_failure(string content, string reason)
    {
        await using var host = LlmTestHost.CreateOffline(_server);
        _server.Enqueue(ScriptedReply.Text(content));

        var result = await host.Get<SideTextAugmenter>().DescribeItemsAsync(Three);

        Assert.Equal(LlmResultStatus.Failed, result.Status);
        Assert.Equal(reason, result.Error);
        Assert.Empty(result.Entries);
        Assert.Equal(3, result.Missing);
        Assert.Equal(1, host.Metrics.Sum("llmrec.llm.errors", ("operation", "item_attributes"), ("reason", reason)));
    }

    [Fact]
    public async Task Describing_many_items_batches_them_and_a_failed_batch_does_not_stop_the_run()
    {
        await using var host = LlmTestHost.CreateOffline(_server, new Dictionary<string, string?>
        {
            ["Llm:MaxConcurrency"] = "1",
            ["Llm:Resilience:MaxRetries"] = "0",
        });
        var items = Enumerable.Range(1, 5).Select(i => Movie(i.ToString(), $"Film {i}")).ToArray();
        _server.Enqueue(
            ScriptedReply.Json(new { items = new[] { new { itemId = "1", genres = new[] { "Drama" } }, new { itemId = "2", genres = new[] { "Comedy" } } } }),
            ScriptedReply.ServerError(),
            ScriptedReply.Json(new { items = new[] { new { itemId = "5", genres = new[] { "Western" } }, new { itemId = "6", genres = new[] { "Noir" } } } }));

        var (entries, summary) = await host.Get<SideTextAugmenter>().DescribeAllItemsAsync(items, batchSize: 2);

        Assert.Equal(3, _server.RequestCount);
        Assert.Equal(["1", "2", "5"], entries.Select(e => e.Id));
        Assert.Equal(5, summary.Requested);
        Assert.Equal(3, summary.Written);
        Assert.Equal(1, summary.Failed);
        Assert.Equal(1, summary.UnknownIds);
        Assert.Equal(2, summary.Missing);
    }

    [Fact]
    public async Task A_structured_profile_becomes_prose_with_its_fields_and_provenance()
    {
        await using var host = LlmTestHost.CreateOffline(_server);
        _server.Enqueue(ScriptedReply.Json(new
        {
            likedGenres = new[] { "Horror", "Sci-Fi" },
            dislikedGenres = new[] { "Romance" },
            likedThemes = new[] { "isolation" },
            likedDirectors = new[] { "John Carpenter" },
            languages = new[] { "English" },
            summary = "\"The user enjoys tense science-fiction horror.\"",
        }).WithModel("stub-model"));
        var subject = new ProfileSubject("u1", [Three[0] with { Description = "genres: Horror; director: John Carpenter. An Antarctic station." }, Three[2]]);

        var result = await host.Get<SideTextAugmenter>().ProfileUserAsync(subject);

        Assert.Equal(LlmResultStatus.Succeeded, result.Status);
        Assert.Equal(new SideEntry(SideEntryKind.User, "u1",
            "The user enjoys tense science-fiction horror. (likes genres: Horror, Sci-Fi; avoids genres: Romance; likes themes: isolation; likes directors: John Carpenter; languages: English)",
            "llm:stub-model"), result.Entry);
        // The history went in with its side text (attributes before the description).
        var history = PromptData.Extract(Assert.Single(_server.Requests).LastUserMessage)!["userHistory"]!.AsArray();
        Assert.Contains("director: John Carpenter", (string)history[0]!, StringComparison.Ordinal);
        Assert.Equal("json_schema", _server.Requests[0].ResponseFormatType);
    }

    [Theory]
    [InlineData("The user likes films.", "malformed")]
    [InlineData("{\"likedGenres\":[\"unknown\",\"\"],\"summary\":\"  \"}", "empty")]
    public async Task A_profile_answer_with_nothing_usable_is_a_counted_failure(string content, string reason)
    {
        await using var host = LlmTestHost.CreateOffline(_server);
        _server.Enqueue(ScriptedReply.Text(content));

        var (entries, summary) = await host.Get<SideTextAugmenter>().ProfileUsersAsync(
            [new ProfileSubject("u1", [Three[0]]), new ProfileSubject("u2", [])]);

        Assert.Empty(entries);
        Assert.Equal(new SideTextSummary(2, 0, 2, 0, 0, 0, summary.InputTokens, summary.OutputTokens), summary);
        // The user with no history was skipped without a call.
        Assert.Equal(1, _server.RequestCount);
        Assert.Equal(1, host.Metrics.Sum("llmrec.llm.errors", ("operation", "user_profile"), ("reason", reason)));
    }
}
