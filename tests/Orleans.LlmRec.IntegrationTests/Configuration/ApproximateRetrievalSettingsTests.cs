using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Scoring.Retrieval;
using Orleans.LlmRec.Silo.Configuration;

namespace Orleans.LlmRec.IntegrationTests.Configuration;

/// <summary>The approximate candidate retrieval's settings (<c>Feed:Approximate*</c>, <c>ItemIndex:*</c>) as the host binds them.</summary>
public class ApproximateRetrievalSettingsTests
{
    private static ServiceSettings Bind(Dictionary<string, string?> settings) =>
        ServiceSettings.Bind(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

    private static string Refusal(Dictionary<string, string?> settings) =>
        Assert.Throws<OptionsValidationException>(() => Bind(settings)).Message;

    [Fact]
    public void The_defaults_keep_small_catalogues_exact()
    {
        var settings = Bind(new());

        // ml-latest-small has 9,742 items and the embedded default fewer: both stay on the exact path.
        Assert.Equal(50_000, settings.Feed.ApproximateAboveItems);
        Assert.Equal(4, settings.Feed.ApproximateCandidateFactor);
        Assert.Equal(16, settings.ItemIndex.Connectivity);
        Assert.Equal(ItemIndexMetric.Euclidean, settings.ItemIndex.Metric);
        // 8-bit storage, ef add 256 and ef by catalogue size: recall@100 as served 0.973 at 1M items at ef 1,536 (bench/RESULTS.md).
        Assert.Equal(256, settings.ItemIndex.ExpansionAdd);
        Assert.Equal(ItemIndexQuantization.Int8, settings.ItemIndex.Quantization);
        Assert.Equal(0, settings.ItemIndex.ExpansionSearch);
        // Two graphs of half the items from 500,000 items on two cores or more, each at the rule's ef for its size.
        Assert.Equal(0, settings.ItemIndex.Shards);
        Assert.Equal(Environment.ProcessorCount >= 2 ? 2 : 1, settings.ItemIndex.ResolvedShards(1_000_000));
        Assert.Equal(Environment.ProcessorCount >= 2 ? 500 : 1_000, settings.ItemIndex.ResolvedExpansionSearch(1_000_000));
        Assert.Equal(1, settings.ItemIndex.ResolvedShards(300_000));
    }

    [Fact]
    public void Settings_bind_from_configuration()
    {
        var settings = Bind(new()
        {
            ["Feed:ApproximateAboveItems"] = "1000",
            ["Feed:ApproximateMaxCandidates"] = "800",
            ["ItemIndex:ExpansionSearch"] = "64",
            ["ItemIndex:Metric"] = "InnerProduct",
            ["ItemIndex:Quantization"] = "Float16",
            ["ItemIndex:Shards"] = "3",
        });

        Assert.Equal(1_000, settings.Feed.ApproximateAboveItems);
        Assert.Equal(800, settings.Feed.ApproximateMaxCandidates);
        Assert.Equal(64, settings.ItemIndex.ExpansionSearch);
        Assert.Equal(ItemIndexMetric.InnerProduct, settings.ItemIndex.Metric);
        Assert.Equal(ItemIndexQuantization.Float16, settings.ItemIndex.Quantization);
        Assert.Equal(3, settings.ItemIndex.ResolvedShards(1_000));
    }

    [Theory]
    [InlineData("Feed:ApproximateAboveItems", "0")]
    [InlineData("Feed:ApproximateCandidateFactor", "0")]
    [InlineData("Feed:ApproximateMaxCandidates", "0")]
    [InlineData("ItemIndex:Connectivity", "2")]
    [InlineData("ItemIndex:ExpansionAdd", "100000")]
    [InlineData("ItemIndex:ExpansionSearch", "4")]
    [InlineData("ItemIndex:MaxConcurrentSearches", "0")]
    [InlineData("ItemIndex:BuildThreads", "-1")]
    [InlineData("ItemIndex:Shards", "65")]
    public void Out_of_range_values_are_refused_by_name(string key, string value)
    {
        Assert.Contains(key, Refusal(new() { [key] = value }), StringComparison.Ordinal);
    }

    [Fact]
    public void Fewer_candidates_than_the_pool_and_unknown_keys_are_refused()
    {
        Assert.Contains("Feed:ApproximateMaxCandidates (30) must be at least the re-rank pool",
            Refusal(new() { ["Feed:ApproximateMaxCandidates"] = "30", ["Feed:CacheDepth"] = "50" }), StringComparison.Ordinal);
        Assert.Contains("ItemIndex:Conectivity is not a setting", Refusal(new() { ["ItemIndex:Conectivity"] = "8" }), StringComparison.Ordinal);
    }
}
