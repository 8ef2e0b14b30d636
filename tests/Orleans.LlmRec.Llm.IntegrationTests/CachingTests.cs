using Orleans.LlmRec.Llm.Profiles;
using Orleans.LlmRec.Testing.OpenAiStub;
using static Orleans.LlmRec.Llm.IntegrationTests.TestData;

namespace Orleans.LlmRec.Llm.IntegrationTests;

public sealed class CachingTests : IAsyncLifetime
{
    private ScriptedOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await ScriptedOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static ProfileRequest Request(string preferences) => new("u1", [Movie("1", "Heat", 1995)], [], preferences);

    [Fact]
    public async Task An_identical_request_is_answered_from_the_cache()
    {
        await using var host = LlmTestHost.Create(_server, new Dictionary<string, string?> { ["Llm:Cache:Enabled"] = "true" });
        _server.Fallback = request => ScriptedReply.Text($"Answer {request.Sequence}.", promptTokens: 100, completionTokens: 10);
        var writer = host.Get<IProfileWriter>();

        var first = await writer.WriteProfileAsync(Request("crime"));
        var second = await writer.WriteProfileAsync(Request("crime"));

        Assert.Equal(1, _server.RequestCount);
        Assert.Equal("Answer 1.", second.Text);
        Assert.False(first.Usage.FromCache);
        Assert.True(second.Usage.FromCache);
        Assert.Equal(0, second.Usage.SpentTokens);
        Assert.Equal(1, host.Metrics.Sum("llmrec.llm.cache.hits"));
        Assert.Equal(100, host.Metrics.Sum("llmrec.llm.tokens", ("direction", "input")));
        Assert.Equal(2, host.Metrics.Sum("llmrec.llm.calls", ("outcome", "success")));
    }

    [Fact]
    public async Task A_structured_rerank_answer_is_cached_too()
    {
        await using var host = LlmTestHost.Create(_server, new Dictionary<string, string?> { ["Llm:Cache:Enabled"] = "true" });
        _server.Fallback = _ => ScriptedReply.Json(Scores(("1", 0.9), ("2", 0.3)));
        var reranker = host.Get<Reranking.IReranker>();

        var first = await reranker.RerankAsync(FiveCandidates());
        var second = await reranker.RerankAsync(FiveCandidates());

        Assert.Equal(1, _server.RequestCount);
        Assert.True(second.Usage.FromCache);
        Assert.Equal(first.Scores, second.Scores);
    }

    [Fact]
    public async Task A_different_request_goes_to_the_server()
    {
        await using var host = LlmTestHost.Create(_server, new Dictionary<string, string?> { ["Llm:Cache:Enabled"] = "true" });
        _server.Fallback = request => ScriptedReply.Text($"Answer {request.Sequence}.");
        var writer = host.Get<IProfileWriter>();

        await writer.WriteProfileAsync(Request("crime"));
        var other = await writer.WriteProfileAsync(Request("comedy"));

        Assert.Equal(2, _server.RequestCount);
        Assert.Equal("Answer 2.", other.Text);
    }

    [Fact]
    public async Task With_the_cache_off_every_request_goes_to_the_server()
    {
        await using var host = LlmTestHost.Create(_server);
        _server.Fallback = request => ScriptedReply.Text($"Answer {request.Sequence}.");
        var writer = host.Get<IProfileWriter>();

        await writer.WriteProfileAsync(Request("crime"));
        await writer.WriteProfileAsync(Request("crime"));

        Assert.Equal(2, _server.RequestCount);
    }
}
