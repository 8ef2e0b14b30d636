using Orleans.LlmRec.Llm.Reranking;
using Orleans.LlmRec.Testing.OpenAiStub;
using StackExchange.Redis;
using static Orleans.LlmRec.Llm.IntegrationTests.TestData;

namespace Orleans.LlmRec.Llm.IntegrationTests;

/// <summary>The Redis response cache, against a real redis-server: shared by silos, and every entry expires.</summary>
public sealed class RedisCacheTests : IAsyncLifetime
{
    private ScriptedOpenAiServer _server = null!;
    private RedisServerProcess _redis = null!;

    public async Task InitializeAsync()
    {
        _server = await ScriptedOpenAiServer.StartAsync();
        _redis = await RedisServerProcess.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private Dictionary<string, string?> RedisSettings() => new()
    {
        ["Llm:Cache:Enabled"] = "true",
        ["Llm:Cache:Kind"] = "Redis",
        ["Llm:Cache:RedisConnectionString"] = _redis.ConnectionString,
        ["Llm:Cache:RedisInstanceName"] = "llmrec-test:",
        ["Llm:Cache:TimeToLive"] = "01:00:00",
    };

    [Fact]
    public async Task Two_silos_share_answers_through_redis_and_entries_expire()
    {
        _server.Fallback = _ => ScriptedReply.Json(Scores(("1", 0.8), ("2", 0.4)));
        await using var siloA = LlmTestHost.Create(_server, RedisSettings());
        await using var siloB = LlmTestHost.Create(_server, RedisSettings());

        var fromLlm = await siloA.Get<IReranker>().RerankAsync(FiveCandidates());
        var fromRedis = await siloB.Get<IReranker>().RerankAsync(FiveCandidates());

        Assert.Equal(1, _server.RequestCount);
        Assert.False(fromLlm.Usage.FromCache);
        Assert.True(fromRedis.Usage.FromCache);
        Assert.Equal(fromLlm.Scores, fromRedis.Scores);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString);
        var keys = redis.GetServer(redis.GetEndPoints()[0]).Keys(pattern: "llmrec-test:*").ToArray();
        var key = Assert.Single(keys);
        var timeToLive = await redis.GetDatabase().KeyTimeToLiveAsync(key);
        Assert.NotNull(timeToLive);
        Assert.InRange(timeToLive.Value, TimeSpan.FromMinutes(1), TimeSpan.FromHours(1));
    }

    [Fact]
    public async Task A_different_model_is_not_answered_from_another_models_cache()
    {
        _server.Fallback = request => ScriptedReply.Json(Scores(("1", request.Model == "stub-model" ? 0.8 : 0.2)));
        await using var oldModel = LlmTestHost.Create(_server, RedisSettings());
        var newSettings = RedisSettings();
        newSettings["Llm:Model"] = "stub-model-v2";
        await using var newModel = LlmTestHost.Create(_server, newSettings);

        var first = await oldModel.Get<IReranker>().RerankAsync(FiveCandidates());
        var second = await newModel.Get<IReranker>().RerankAsync(FiveCandidates());

        Assert.Equal(2, _server.RequestCount);
        Assert.Equal(0.8f, first.Scores["1"]);
        Assert.Equal(0.2f, second.Scores["1"]);
        Assert.False(second.Usage.FromCache);
    }
}
