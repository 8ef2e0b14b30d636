using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Llm.Hosting;

namespace Orleans.LlmRec.Llm.UnitTests;

public class LlmOptionsTests
{
    // The check every section gets: DataAnnotations on the keys, then LlmOptions.Validate for rules across keys.
    private static ValidateOptionsResult Validate(LlmOptions options)
    {
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        return System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, validateAllProperties: true)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(results.Select(r => r.ErrorMessage!));
    }

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

    [Theory]
    [InlineData("Llm:Temperature", "2.5")]
    [InlineData("Llm:Resilience:AttemptTimeout", "00:00:00.001")]
    [InlineData("Llm:Resilience:CircuitSamplingDuration", "00:00:00.100")]
    [InlineData("Llm:Cache:TimeToLive", "00:00:00")]
    [InlineData("Llm:ProfileMinRefreshInterval", "02:00:00")]
    public void Binding_a_bad_value_throws_naming_its_key(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();

        var error = Assert.Throws<OptionsValidationException>(() => LlmServiceCollectionExtensions.BindLlmOptions(configuration));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binding_reads_durations_as_time_spans()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Llm:ActiveUserWindow"] = "00:02:30",
            ["Llm:Resilience:CircuitBreakDuration"] = "00:00:05",
        }).Build();

        var options = LlmServiceCollectionExtensions.BindLlmOptions(configuration);

        Assert.Equal(TimeSpan.FromSeconds(150), options.ActiveUserWindow);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Resilience.CircuitBreakDuration);
    }
}
