using System.Globalization;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.IntegrationTests.Infrastructure;

namespace Orleans.LlmRec.IntegrationTests.Configuration;

/// <summary>A misconfigured host refuses to start and says which setting is wrong.</summary>
public class StartupConfigurationTests
{
    private static Dictionary<string, string> WithPorts(Dictionary<string, string> settings)
    {
        var ports = FreePorts.Take(2);
        settings["Silo:SiloPort"] = ports[0].ToString(CultureInfo.InvariantCulture);
        settings["Silo:GatewayPort"] = ports[1].ToString(CultureInfo.InvariantCulture);
        settings["Logging:LogLevel:Default"] = "None";
        return settings;
    }

    [Fact]
    public async Task Redis_storage_without_a_connection_string_is_refused_by_name()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            SiloServer.StartAsync(FreePorts.Take(1)[0], WithPorts(new() { ["Silo:Storage"] = "Redis" })));
        Assert.Contains("Silo:RedisConnectionString is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_model_directory_and_an_unknown_model_kind_are_refused_by_name()
    {
        var missing = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            SiloServer.StartAsync(FreePorts.Take(1)[0], WithPorts(new() { ["Model:Directory"] = "/nonexistent/model" })));
        Assert.Contains("Model:Directory '/nonexistent/model' does not exist", missing.Message, StringComparison.Ordinal);

        var kind = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            SiloServer.StartAsync(FreePorts.Take(1)[0], WithPorts(new() { ["Model:Kind"] = "transformer" })));
        Assert.Contains("Model:Kind 'transformer'", kind.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Out_of_range_feed_settings_are_refused_by_name()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            SiloServer.StartAsync(FreePorts.Take(1)[0], WithPorts(new() { ["Feed:ScoringBudget"] = "00:00:00" })));
        Assert.Contains("Feed:ScoringBudget must lie in [00:00:00.001, 00:01:00]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_that_contradict_each_other_are_refused_by_name()
    {
        var k = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            SiloServer.StartAsync(FreePorts.Take(1)[0], WithPorts(new() { ["Feed:DefaultK"] = "50", ["Feed:MaxK"] = "20" })));
        Assert.Contains("Feed:DefaultK (50) must not exceed Feed:MaxK (20)", k.Message, StringComparison.Ordinal);

        var ratings = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            SiloServer.StartAsync(FreePorts.Take(1)[0], WithPorts(new() { ["Ingestion:MinRating"] = "5", ["Ingestion:MaxRating"] = "1" })));
        Assert.Contains("Ingestion:MinRating (5) must be below Ingestion:MaxRating (1)", ratings.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_renamed_key_is_refused_by_name_instead_of_being_ignored()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            SiloServer.StartAsync(FreePorts.Take(1)[0], WithPorts(new() { ["Feed:ScoringBudgetMs"] = "50" })));
        Assert.Contains("Feed:ScoringBudgetMs is not a setting", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Values at the edges of their ranges that reach other libraries' own checks at start (Orleans' collection
    /// quantum, a periodic timer, the scorer's batcher): whatever validation lets through starts.
    /// </summary>
    [Theory]
    [InlineData("Silo:IdleDeactivation", "00:01:00")]
    [InlineData("Silo:IdleDeactivation", "1.00:00:00")]
    [InlineData("Model:WatchInterval", "00:00:01")]
    [InlineData("Scoring:MaxBatchWait", "00:01:00")]
    [InlineData("Feed:ScoringBudget", "00:00:00.001")]
    public async Task An_edge_value_that_passes_validation_starts(string key, string value)
    {
        var settings = WithPorts(new()
        {
            [key] = value,
            ["Catalogue:SyntheticUsers"] = "50",
            ["Catalogue:SyntheticItems"] = "100",
            ["Model:Kind"] = "pop",
        });
        await using var silo = await SiloServer.StartAsync(FreePorts.Take(1)[0], settings);

        Assert.Equal("Healthy", await silo.Client.GetStringAsync("/health"));
    }
}
