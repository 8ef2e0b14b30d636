using Orleans.LlmRec.Llm.Profiles;
using Orleans.LlmRec.Llm.Reranking;
using Orleans.LlmRec.Testing.OpenAiStub;
using static Orleans.LlmRec.Llm.IntegrationTests.TestData;

namespace Orleans.LlmRec.Llm.IntegrationTests;

public sealed class ResilienceTests : IAsyncLifetime
{
    private ScriptedOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await ScriptedOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_429_is_retried_after_its_retry_after_and_then_succeeds()
    {
        await using var host = LlmTestHost.Create(_server);
        _server.Enqueue(ScriptedReply.TooManyRequests(TimeSpan.Zero), ScriptedReply.Json(Scores(("1", 0.9))));

        var result = await host.Get<IReranker>().RerankAsync(FiveCandidates());

        Assert.Equal(LlmResultStatus.Succeeded, result.Status);
        Assert.Equal(0.9f, result.Scores["1"]);
        Assert.Equal(2, _server.RequestCount);
        Assert.Equal(0, _server.PendingReplies);
    }

    [Fact]
    public async Task Server_errors_are_retried_up_to_the_limit_then_reported_as_a_failure()
    {
        await using var host = LlmTestHost.Create(_server, new Dictionary<string, string?> { ["Llm:Resilience:MaxRetries"] = "2" });
        _server.Fallback = _ => ScriptedReply.ServerError();

        var result = await host.Get<IReranker>().RerankAsync(FiveCandidates());

        Assert.Equal(LlmResultStatus.Failed, result.Status);
        Assert.Equal(LlmFailure.ServerError, result.Error);
        Assert.Equal(3, _server.RequestCount);
        Assert.Equal(1, host.Metrics.Sum("llmrec.llm.errors", ("operation", "rerank"), ("reason", "server_error")));
    }

    [Fact]
    public async Task Registering_the_layer_twice_does_not_stack_retries()
    {
        await using var host = LlmTestHost.Create(_server, new Dictionary<string, string?> { ["Llm:Resilience:MaxRetries"] = "1" }, registrations: 2);
        _server.Fallback = _ => ScriptedReply.ServerError();

        await host.Get<IReranker>().RerankAsync(FiveCandidates());

        Assert.Equal(2, _server.RequestCount);
    }

    [Fact]
    public async Task A_client_error_is_not_retried()
    {
        await using var host = LlmTestHost.Create(_server);
        _server.Enqueue(ScriptedReply.Status(400));

        var result = await host.Get<IReranker>().RerankAsync(FiveCandidates());

        Assert.Equal(LlmFailure.HttpError, result.Error);
        Assert.Equal(1, _server.RequestCount);
    }

    [Fact]
    public async Task Repeated_failures_open_the_circuit_which_fails_fast_then_closes_after_the_break()
    {
        await using var host = LlmTestHost.Create(_server, new Dictionary<string, string?>
        {
            ["Llm:Resilience:MaxRetries"] = "0",
            ["Llm:Resilience:CircuitMinimumThroughput"] = "3",
            ["Llm:Resilience:CircuitFailureRatio"] = "0.5",
            ["Llm:Resilience:CircuitSamplingDuration"] = "00:00:30",
            // Long enough that a busy CI machine cannot let the break pass before the fail-fast call below.
            ["Llm:Resilience:CircuitBreakDuration"] = "00:00:03",
        });
        var status = host.Get<ILlmStatus>();
        var reranker = host.Get<IReranker>();
        _server.Fallback = _ => ScriptedReply.ServerError();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(LlmFailure.ServerError, (await reranker.RerankAsync(FiveCandidates())).Error);
        }
        Assert.Equal(LlmCircuitState.Open, status.CircuitState);
        Assert.False(status.IsAvailable);

        // Open: the call fails without reaching the server.
        var failedFast = await reranker.RerankAsync(FiveCandidates());
        Assert.Equal(LlmFailure.CircuitOpen, failedFast.Error);
        Assert.Equal(3, _server.RequestCount);
        host.Metrics.RecordObservableInstruments();
        Assert.Equal(1, host.Metrics.Sum("llmrec.llm.circuit.transitions", ("state", "Open")));

        // The server recovers; once the break is over a trial call passes and closes the circuit.
        _server.Fallback = _ => ScriptedReply.Json(Scores(("1", 0.7)));
        RerankResult recovered;
        using (var patience = new CancellationTokenSource(Patience))
        {
            while ((recovered = await reranker.RerankAsync(FiveCandidates())).Error == LlmFailure.CircuitOpen)
            {
                await Task.Delay(50, patience.Token);
            }
        }
        Assert.Equal(LlmResultStatus.Succeeded, recovered.Status);
        Assert.Equal(LlmCircuitState.Closed, status.CircuitState);
        Assert.True(status.IsAvailable);
        Assert.Equal(1, host.Metrics.Sum("llmrec.llm.circuit.transitions", ("state", "Closed")));
        Assert.Contains(host.Logs.Entries, e => e.Message.Contains("LLM circuit opened", StringComparison.Ordinal));
        Assert.Contains(host.Logs.Entries, e => e.Message.Contains("LLM circuit closed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_server_slower_than_the_timeout_is_a_failure_not_a_hang()
    {
        await using var host = LlmTestHost.Create(_server, new Dictionary<string, string?>
        {
            ["Llm:Resilience:MaxRetries"] = "0",
            ["Llm:Resilience:AttemptTimeout"] = "00:00:00.200",
            ["Llm:Resilience:TotalTimeout"] = "00:00:00.400",
        });
        _server.Fallback = _ => ScriptedReply.Text("too late").After(TimeSpan.FromMinutes(5));

        // WaitAsync only guards the test run against a regression that would hang; the timeout under test is 0.4 s.
        var result = await host.Get<IProfileWriter>()
            .WriteProfileAsync(new ProfileRequest("u1", [Movie("1", "Heat")], [], null))
            .WaitAsync(Patience);

        Assert.Equal(LlmResultStatus.Failed, result.Status);
        Assert.Equal(LlmFailure.Timeout, result.Error);
        Assert.Equal(1, host.Metrics.Sum("llmrec.llm.errors", ("operation", "profile"), ("reason", "timeout")));
    }

    [Fact]
    public async Task A_slow_attempt_is_abandoned_and_retried()
    {
        await using var host = LlmTestHost.Create(_server, new Dictionary<string, string?>
        {
            ["Llm:Resilience:MaxRetries"] = "1",
            // The second attempt answers at once; the margin is for busy CI machines.
            ["Llm:Resilience:AttemptTimeout"] = "00:00:03",
            ["Llm:Resilience:TotalTimeout"] = "00:00:20",
        });
        _server.Enqueue(ScriptedReply.Text("too late").After(TimeSpan.FromMinutes(5)), ScriptedReply.Text("The user likes heists."));

        var result = await host.Get<IProfileWriter>().WriteProfileAsync(new ProfileRequest("u1", [Movie("1", "Heat")], [], null));

        Assert.Equal("The user likes heists.", result.Text);
        Assert.Equal(2, _server.RequestCount);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_still_throws()
    {
        await using var host = LlmTestHost.Create(_server);
        _server.Fallback = _ => ScriptedReply.Text("late").After(TimeSpan.FromMinutes(5));
        using var cancel = new CancellationTokenSource();

        var call = host.Get<IReranker>().RerankAsync(FiveCandidates(), cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Patience));
    }
}
