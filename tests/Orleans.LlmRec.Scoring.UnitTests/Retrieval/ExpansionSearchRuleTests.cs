using System.ComponentModel.DataAnnotations;
using Orleans.LlmRec.Scoring.Retrieval;

namespace Orleans.LlmRec.Scoring.UnitTests.Retrieval;

/// <summary><c>ItemIndex:ExpansionSearch</c> 0 (the default): the search expansion chosen by catalogue size.</summary>
public sealed class ExpansionSearchRuleTests
{
    [Theory]
    [InlineData(1_000, 64)]
    [InlineData(10_000, 64)]
    [InlineData(100_000, 100)]
    [InlineData(300_000, 300)]
    [InlineData(1_000_000, 1_000)]
    [InlineData(50_000_000, 4_096)]
    public void The_expansion_grows_with_the_catalogue_between_bounds(int items, int expected)
    {
        Assert.Equal(expected, ItemIndexOptions.ExpansionSearchFor(items));
    }

    [Fact]
    public void The_expansion_never_shrinks_as_the_catalogue_grows()
    {
        var sizes = Enumerable.Range(0, 200).Select(i => (int)Math.Min(int.MaxValue, Math.Pow(1.12, i))).ToArray();
        for (var i = 1; i < sizes.Length; i++) Assert.True(ItemIndexOptions.ExpansionSearchFor(sizes[i]) >= ItemIndexOptions.ExpansionSearchFor(sizes[i - 1]));
    }

    [Fact]
    public void An_index_built_with_0_takes_the_rule_and_a_setting_wins_over_it()
    {
        var data = new ClusteredVectors(itemCount: 80_000, dimension: 8, seed: 2, clusters: 4);
        using var byRule = ItemVectorIndex.Build(data.Vectors, data.Biases, data.ItemCount, data.Dimension, new ItemIndexOptions());
        using var bySetting = ItemVectorIndex.Build(data.Vectors, data.Biases, 100, data.Dimension, new ItemIndexOptions { ExpansionSearch = 300 });

        Assert.Equal(ItemIndexOptions.ExpansionSearchFor(80_000), byRule.ExpansionSearch);
        Assert.Equal(80, byRule.ExpansionSearch);
        Assert.Equal(300, bySetting.ExpansionSearch);
        Assert.Equal(300, new ItemIndexOptions { ExpansionSearch = 300 }.ResolvedExpansionSearch(1_000_000));
    }

    [Fact]
    public void The_graph_is_built_with_256_candidates_per_insertion_unless_set()
    {
        Assert.Equal(256, new ItemIndexOptions().ExpansionAdd);
        var options = new ItemIndexOptions { ExpansionAdd = 4 };
        var results = new List<ValidationResult>();
        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        Assert.Contains(results, r => r.ErrorMessage!.Contains("ItemIndex:ExpansionAdd", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(4, false)]
    [InlineData(8, true)]
    [InlineData(20_000, false)]
    public void Validation_takes_0_or_8_and_up(int expansion, bool valid)
    {
        var options = new ItemIndexOptions { ExpansionSearch = expansion };
        var results = new List<ValidationResult>();
        Assert.Equal(valid, Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        if (!valid) Assert.Contains(results, r => r.ErrorMessage!.Contains("ItemIndex:ExpansionSearch", StringComparison.Ordinal));
    }
}
