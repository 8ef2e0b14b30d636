using Orleans.LlmRec.Llm.Offline.Augmentation;
using Orleans.LlmRec.Llm.Prompts;
using Orleans.LlmRec.Testing.OpenAiStub;
using static Orleans.LlmRec.Llm.IntegrationTests.TestData;

namespace Orleans.LlmRec.Llm.IntegrationTests;

public sealed class GraphAugmenterTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "llmrec-augment-" + Guid.NewGuid().ToString("N"));
    private ScriptedOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await ScriptedOpenAiServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static AugmentationUser User(string userId) => new(
        userId,
        [Movie("1", "Alien", 1979, ["Horror", "Sci-Fi"]), Movie("2", "Aliens", 1986, ["Action", "Sci-Fi"])],
        [Movie("10", "The Thing", 1982, ["Horror"]), Movie("11", "Notting Hill", 1999, ["Romance"]), Movie("12", "Predator", 1987, ["Action"])]);

    [Fact]
    public async Task Writes_a_validated_triple_per_user_with_provenance()
    {
        await using var host = LlmTestHost.CreateOffline(_server);
        _server.Fallback = _ => ScriptedReply.Json(new { likedItemId = "10", dislikedItemId = "11" }).WithModel("stub-model-2025-01");
        var path = Path.Combine(_directory, "augmented.jsonl");

        AugmentationSummary summary;
        await using (var writer = AugmentedTripleFile.CreateWriter(path))
        {
            summary = await host.Get<GraphAugmenter>().AugmentAsync([User("u1"), User("u2")], writer);
        }
        var triples = await AugmentedTripleFile.ReadAllAsync(path);

        Assert.Equal(new AugmentationSummary(Users: 2, Triples: 2, Failed: 0, Skipped: 0, InputTokens: summary.InputTokens, OutputTokens: summary.OutputTokens), summary);
        Assert.True(summary.InputTokens > 0);
        Assert.Equal(["u1", "u2"], triples.Select(t => t.UserId).Order());
        Assert.All(triples, t =>
        {
            Assert.Equal("10", t.PositiveItemId);
            Assert.Equal("11", t.NegativeItemId);
            Assert.Equal("stub-model-2025-01", t.Model);
            Assert.Matches("^[0-9a-f]{64}$", t.PromptSha256);
        });
        // The hash is of the prompt actually sent: the same user data gives the same hash, other users another.
        var request = _server.Requests.First(r => PromptData.Extract(r.LastUserMessage)!["userHistory"] is not null);
        Assert.Contains("The Thing (1982)", request.LastUserMessage, StringComparison.Ordinal);
        Assert.Equal(triples[0].PromptSha256, triples[1].PromptSha256);
    }

    [Theory]
    [InlineData("10", "10")]
    [InlineData("10", "99")]
    [InlineData("1", "11")]
    public async Task An_answer_that_is_not_two_different_candidates_is_a_counted_failure(string liked, string disliked)
    {
        await using var host = LlmTestHost.CreateOffline(_server);
        _server.Enqueue(ScriptedReply.Json(new { likedItemId = liked, dislikedItemId = disliked }));

        var choice = await host.Get<GraphAugmenter>().ChooseAsync(User("u1"));

        Assert.Equal(LlmResultStatus.Failed, choice.Status);
        Assert.Null(choice.Triple);
        Assert.Equal(1, host.Metrics.Sum("llmrec.llm.errors", ("operation", "augment"), ("reason", "invalid")));
    }

    [Fact]
    public async Task Failures_are_counted_and_the_run_goes_on()
    {
        await using var host = LlmTestHost.CreateOffline(_server, new Dictionary<string, string?>
        {
            ["Llm:MaxConcurrency"] = "1",
            ["Llm:Resilience:MaxRetries"] = "0",
        });
        _server.Enqueue(
            ScriptedReply.ServerError(),
            ScriptedReply.Text("not json"),
            ScriptedReply.Json(new { likedItemId = "12", dislikedItemId = "11" }));
        var path = Path.Combine(_directory, "partial.jsonl");
        var lonely = new AugmentationUser("u4", [], [Movie("10", "The Thing")]);

        AugmentationSummary summary;
        await using (var writer = AugmentedTripleFile.CreateWriter(path))
        {
            summary = await host.Get<GraphAugmenter>().AugmentAsync([User("u1"), User("u2"), User("u3"), lonely], writer);
        }

        Assert.Equal(4, summary.Users);
        Assert.Equal(1, summary.Triples);
        Assert.Equal(2, summary.Failed);
        Assert.Equal(1, summary.Skipped);
        var triple = Assert.Single(await AugmentedTripleFile.ReadAllAsync(path));
        Assert.Equal(("u3", "12", "11"), (triple.UserId, triple.PositiveItemId, triple.NegativeItemId));
    }
}
