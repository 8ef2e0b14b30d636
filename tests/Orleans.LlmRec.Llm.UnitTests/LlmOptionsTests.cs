using Microsoft.Extensions.Options;

namespace Orleans.LlmRec.Llm.UnitTests;

public class LlmOptionsTests
{
    private static ValidateOptionsResult Validate(LlmOptions options) => new LlmOptionsValidator().Validate(null, options);

    [Fact]
    public void Enabled_only_with_an_endpoint()
    {
        Assert.False(new LlmOptions().IsEnabled);
        Assert.False(new LlmOptions { Endpoint = "  " }.IsEnabled);
        Assert.True(new LlmOptions { Endpoint = "http://localhost:11434/v1" }.IsEnabled);
    }

    [Fact]
    public void Defaults_are_valid_enabled_or_not()
    {
        Assert.True(Validate(new LlmOptions()).Succeeded);
        Assert.True(Validate(new LlmOptions { Endpoint = "http://localhost:11434/v1" }).Succeeded);
    }

    [Theory]
    [InlineData("localhost:11434/v1")]
    [InlineData("ftp://example.org/v1")]
    [InlineData("not a url")]
    public void Refuses_an_endpoint_that_is_not_an_absolute_http_address(string endpoint)
    {
        var result = Validate(new LlmOptions { Endpoint = endpoint });

        Assert.True(result.Failed);
        Assert.Contains("Llm:Endpoint", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_every_bad_setting()
    {
        var options = new LlmOptions
        {
            MaxConcurrency = 0,
            FusionAlpha = 1.5f,
            QueueCapacity = 0,
            Resilience = { CircuitBreakDuration = TimeSpan.FromMilliseconds(100), MaxRetries = -1 },
            Cache = { Kind = LlmCacheKind.Redis, Enabled = true },
        };

        var result = Validate(options);

        Assert.True(result.Failed);
        foreach (var key in (string[])["MaxConcurrency", "FusionAlpha", "QueueCapacity", "CircuitBreakDuration", "MaxRetries", "RedisConnectionString"])
        {
            Assert.Contains(key, result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Refuses_an_unscored_share_outside_zero_to_one(double share)
    {
        var result = Validate(new LlmOptions { RerankRefreshUnscoredShare = share });
        Assert.True(result.Failed);
        Assert.Contains("Llm:RerankRefreshUnscoredShare", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_an_active_user_window_that_is_not_positive()
    {
        var result = Validate(new LlmOptions { ActiveUserWindow = TimeSpan.Zero });
        Assert.True(result.Failed);
        Assert.Contains("Llm:ActiveUserWindow", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void The_api_key_comes_from_the_named_environment_variable()
    {
        var variable = $"LLMREC_TEST_KEY_{Guid.NewGuid():N}";
        var options = new LlmOptions { ApiKeyEnvironmentVariable = variable };
        Assert.Null(options.ResolveApiKey());

        Environment.SetEnvironmentVariable(variable, "sk-test");
        try
        {
            Assert.Equal("sk-test", options.ResolveApiKey());
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }
}
