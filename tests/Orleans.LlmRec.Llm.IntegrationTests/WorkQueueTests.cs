using System.Collections.Concurrent;
using Orleans.LlmRec.Llm.Profiles;
using Orleans.LlmRec.Llm.Queue;
using Orleans.LlmRec.Llm.Reranking;
using Orleans.LlmRec.Testing.OpenAiStub;
using static Orleans.LlmRec.Llm.IntegrationTests.TestData;

namespace Orleans.LlmRec.Llm.IntegrationTests;

public sealed class WorkQueueTests : IAsyncLifetime
{
    private ScriptedOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await ScriptedOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Jobs_run_through_the_real_client_and_results_reach_their_callbacks()
    {
        await using var host = LlmTestHost.Create(_server, new Dictionary<string, string?> { ["Llm:MaxConcurrency"] = "2" });
        _server.Fallback = request => request.SystemMessage.Contains("ranking component", StringComparison.Ordinal)
            ? ScriptedReply.Json(Scores(("1", 0.9), ("2", 0.1)), promptTokens: 50, completionTokens: 5)
            : ScriptedReply.Text("The user likes science fiction.", promptTokens: 40, completionTokens: 6);
        var queue = host.Get<LlmWorkQueue>();
        var reranks = new ConcurrentDictionary<string, RerankResult>();
        var profiles = new ConcurrentDictionary<string, ProfileResult>();

        for (var i = 0; i < 4; i++)
        {
            var user = $"u{i}";
            queue.Enqueue(new RerankJob(FiveCandidates(user), LlmJobPriority.ActiveUser, (result, _) =>
            {
                reranks[user] = result;
                return Task.CompletedTask;
            }));
            queue.Enqueue(new ProfileJob(new ProfileRequest(user, [Movie("9", "Arrival")], [], null), LlmJobPriority.Background, (result, _) =>
            {
                profiles[user] = result;
                return Task.CompletedTask;
            }));
        }
        await queue.WhenIdleAsync().WaitAsync(Patience);

        Assert.Equal(4, reranks.Count);
        Assert.All(reranks.Values, r => Assert.Equal(0.9f, r.Scores["1"]));
        Assert.Equal(4, profiles.Count);
        Assert.All(profiles.Values, p => Assert.Equal("The user likes science fiction.", p.Text));
        Assert.Equal(8, _server.RequestCount);
        Assert.Equal(4 * 55 + 4 * 46, host.Metrics.Sum("llmrec.llm.tokens"));
    }

    [Fact]
    public async Task A_failed_call_reaches_the_callback_as_a_failure()
    {
        await using var host = LlmTestHost.Create(_server, new Dictionary<string, string?> { ["Llm:Resilience:MaxRetries"] = "0" });
        _server.Fallback = _ => ScriptedReply.ServerError();
        var queue = host.Get<LlmWorkQueue>();
        var delivered = new TaskCompletionSource<RerankResult>();

        queue.Enqueue(new RerankJob(FiveCandidates(), LlmJobPriority.ActiveUser, (result, _) =>
        {
            delivered.TrySetResult(result);
            return Task.CompletedTask;
        }));

        var outcome = await delivered.Task.WaitAsync(Patience);
        Assert.Equal(LlmResultStatus.Failed, outcome.Status);
        Assert.Equal(LlmFailure.ServerError, outcome.Error);
    }
}
